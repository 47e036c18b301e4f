using System.Text.Json;
using Dashboard.Data;
using Dashboard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Tests.Analytics.Experiments;

/// <summary>
/// Flags, experiments, users, events and exposures written straight into the application's SQLite
/// file (through its migrations), as the flag evaluator and the batch writer would leave them.
/// Keys carry a per-kit suffix so data sets never collide.
/// </summary>
public sealed class ExperimentTestKit(DashboardFactory factory)
{
    public string Suffix { get; } = Guid.NewGuid().ToString("N")[..8];

    private readonly Dictionary<string, long> _users = [];
    private int _messages;

    public static long Ms(string iso) => AnalyticsData.T(iso).ToUnixTimeMilliseconds();

    public string Key(string name) => $"{name}-{Suffix}";

    public async Task<string> FlagAsync(string name, params (string Key, double Weight)[] variants)
    {
        await using var db = factory.CreateDbContext();
        db.Flags.Add(new FlagRecord
        {
            Key = Key(name),
            Enabled = true,
            RolloutBasisPoints = 10_000,
            Variants = JsonSerializer.Serialize(variants.Select(v => new { key = v.Key, weight = v.Weight })),
        });
        await db.SaveChangesAsync();
        return Key(name);
    }

    public async Task<string> ExperimentAsync(string name, string start, string? end, ExperimentState state = ExperimentState.Running,
        string goal = "PROJECT_CREATED", object? filter = null, double mde = 0.1, params (string Key, double Weight)[] variants)
    {
        if (variants.Length == 0) variants = [("control", 50), ("treatment", 50)];
        await using var db = factory.CreateDbContext();
        db.Experiments.Add(new ExperimentRecord
        {
            Key = Key(name),
            FlagKey = Key("flag"),
            GoalEvent = goal,
            GoalFilter = filter is null ? "{}" : JsonSerializer.Serialize(filter),
            Variants = JsonSerializer.Serialize(variants.Select(v => new { key = v.Key, weight = v.Weight })),
            Start = Ms(start),
            End = end is null ? null : Ms(end),
            MinimumDetectableEffect = mde,
            State = state,
        });
        await db.SaveChangesAsync();
        return Key(name);
    }

    public async Task<long> UserAsync(string name)
    {
        if (_users.TryGetValue(name, out var id)) return id;
        await using var db = factory.CreateDbContext();
        var user = new UserRecord { Key = Key(name) };
        db.TrackedUsers.Add(user);
        await db.SaveChangesAsync();
        return _users[name] = user.Id;
    }

    public async Task EventAsync(string user, string name, string at, object? properties = null)
    {
        var id = await UserAsync(user);
        await using var db = factory.CreateDbContext();
        db.Events.Add(new EventRecord
        {
            MessageId = $"m-{Suffix}-{_messages++}",
            Name = name,
            UserId = id,
            Timestamp = Ms(at),
            ReceivedAt = Ms(at),
            Properties = properties is null ? "{}" : JsonSerializer.Serialize(properties),
        });
        await db.SaveChangesAsync();
    }

    /// <summary>Records an exposure as the evaluator does: a later exposure of the same user to the same experiment is ignored.</summary>
    public async Task ExposeAsync(string experimentKey, string user, string variant, string at)
    {
        var id = await UserAsync(user);
        await using var db = factory.CreateDbContext();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO "Exposures" ("ExperimentKey", "FlagKey", "UserId", "Variant", "Timestamp")
            VALUES ({experimentKey}, {Key("flag")}, {id}, {variant}, {Ms(at)})
            ON CONFLICT ("ExperimentKey", "UserId") DO NOTHING
            """);
    }

    /// <summary>Many users at once: <paramref name="exposed"/> exposed to the variant at the time, the first <paramref name="converted"/> of them converting an hour later.</summary>
    public async Task<List<long>> CohortAsync(string experimentKey, string variant, int exposed, int converted, string at, string goal = "PROJECT_CREATED")
    {
        await using var db = factory.CreateDbContext();
        var users = Enumerable.Range(0, exposed).Select(i => new UserRecord { Key = Key($"{variant}-{i}-{Guid.NewGuid():N}") }).ToList();
        db.TrackedUsers.AddRange(users);
        await db.SaveChangesAsync();
        var t = Ms(at);
        db.Exposures.AddRange(users.Select(u => new ExposureRecord { ExperimentKey = experimentKey, FlagKey = Key("flag"), UserId = u.Id, Variant = variant, Timestamp = t }));
        db.Events.AddRange(users.Take(converted).Select(u => new EventRecord
        {
            MessageId = $"m-{Suffix}-{_messages++}", Name = goal, UserId = u.Id, Timestamp = t + 3_600_000, ReceivedAt = t + 3_600_000,
        }));
        await db.SaveChangesAsync();
        return users.Select(u => u.Id).ToList();
    }

    /// <summary>One event of <paramref name="name"/> for each of the users at the time.</summary>
    public async Task EventsAsync(IEnumerable<long> userIds, string name, string at, object? properties = null)
    {
        await using var db = factory.CreateDbContext();
        var t = Ms(at);
        db.Events.AddRange(userIds.Select(id => new EventRecord
        {
            MessageId = $"m-{Suffix}-{_messages++}", Name = name, UserId = id, Timestamp = t, ReceivedAt = t,
            Properties = properties is null ? "{}" : JsonSerializer.Serialize(properties),
        }));
        await db.SaveChangesAsync();
    }

    /// <summary>Changes the stored experiment, as an admin's edit would.</summary>
    public async Task UpdateAsync(string experimentKey, Action<ExperimentRecord> change)
    {
        await using var db = factory.CreateDbContext();
        change(db.Experiments.Single(e => e.Key == experimentKey));
        await db.SaveChangesAsync();
    }
}
