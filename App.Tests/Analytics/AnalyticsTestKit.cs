using System.Globalization;
using System.Text.Json;
using Dashboard.Data;
using Dashboard.Tests.TestSupport;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Analytics;

/// <summary>A clock that always answers the same instant.</summary>
public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>
/// A hand-written data set: users and events inserted straight into the application's SQLite file.
/// User and account keys carry a per-data-set suffix so they never collide; each test owns a fresh
/// database. Accounts and members stand for Segment group calls (Accounts rows, Users.AccountId).
/// </summary>
public sealed class AnalyticsData(IServiceProvider services)
{
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];
    private readonly Dictionary<string, string> _traits = [];
    private readonly List<(string User, string Name, DateTimeOffset At, string Properties)> _events = [];
    private readonly Dictionary<string, string> _accounts = [];
    private readonly Dictionary<string, string> _memberOf = [];

    /// <summary>The stored key (people id) of a user of this data set.</summary>
    public string Key(string user) => $"{user}-{_suffix}";

    public static DateTimeOffset T(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public static DateOnly D(string iso) => DateOnly.Parse(iso, CultureInfo.InvariantCulture);

    public AnalyticsData User(string user, object traits)
    {
        _traits[user] = JsonSerializer.Serialize(traits);
        return this;
    }

    public AnalyticsData Account(string account, object traits)
    {
        _accounts[account] = JsonSerializer.Serialize(traits);
        return this;
    }

    /// <summary>The user's account, as their latest group call set it.</summary>
    public AnalyticsData Member(string user, string account)
    {
        _memberOf[user] = account;
        return this;
    }

    /// <summary>
    /// More accounts than a breakdown keeps: c00..c26 with the trait plan p00..p26; c00 has three
    /// members, the others one; every member does <paramref name="name"/> once at <paramref name="at"/>.
    /// Kept: p00 and, of the ties at one member, p01..p24; (other): p25 and p26, two members.
    /// </summary>
    public AnalyticsData ManyAccounts(string name, string at)
    {
        for (var a = 0; a < 27; a++)
        {
            Account($"c{a:D2}", new { plan = $"p{a:D2}" });
            for (var i = 0; i < (a == 0 ? 3 : 1); i++) Member($"m{a}-{i}", $"c{a:D2}").Event($"m{a}-{i}", name, at);
        }
        return this;
    }

    public AnalyticsData Event(string user, string name, string at, object? properties = null)
    {
        _events.Add((user, name, T(at), properties is null ? "{}" : JsonSerializer.Serialize(properties)));
        return this;
    }

    public async Task SaveAsync()
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<DashboardDbContext>>().CreateDbContextAsync();
        var accounts = _accounts.ToDictionary(a => a.Key, a => new AccountRecord { Key = $"{a.Key}-{_suffix}", Traits = a.Value });
        db.Accounts.AddRange(accounts.Values);
        await db.SaveChangesAsync();
        var users = new Dictionary<string, UserRecord>();
        foreach (var name in _events.Select(e => e.User).Concat(_traits.Keys).Concat(_memberOf.Keys).Distinct())
        {
            var times = _events.Where(e => e.User == name).Select(e => e.At.ToUnixTimeMilliseconds()).DefaultIfEmpty(0).ToList();
            users[name] = new UserRecord
            {
                Key = $"{name}-{_suffix}",
                Traits = _traits.GetValueOrDefault(name, "{}"),
                FirstSeen = times.Min(),
                LastSeen = times.Max(),
                AccountId = _memberOf.TryGetValue(name, out var account) ? accounts[account].Id : null,
            };
        }
        db.TrackedUsers.AddRange(users.Values);
        await db.SaveChangesAsync();
        var n = 0;
        foreach (var (user, name, at, properties) in _events)
        {
            db.Events.Add(new EventRecord
            {
                MessageId = $"m-{_suffix}-{n++}",
                Name = name,
                UserId = users[user].Id,
                Timestamp = at.ToUnixTimeMilliseconds(),
                ReceivedAt = at.ToUnixTimeMilliseconds(),
                Properties = properties,
            });
        }
        await db.SaveChangesAsync();
    }
}

internal static class AnalyticsTestKit
{
    public static IDbContextFactory<DashboardDbContext> Db(this DashboardFactory factory) =>
        factory.Services.GetRequiredService<IDbContextFactory<DashboardDbContext>>();

    /// <summary>The application with its clock fixed at <paramref name="now"/>; it shares the factory's database file.</summary>
    public static WebApplicationFactory<Program> WithClock(this DashboardFactory factory, DateTimeOffset now) =>
        factory.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<TimeProvider>(new FixedClock(now))));

    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<string> GetCsvAsync(this HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        return text;
    }
}
