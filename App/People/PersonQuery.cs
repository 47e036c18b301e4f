using System.Text.Json;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.People;

public sealed record PersonAccount(string Id, JsonElement Traits);

public sealed record PersonExperiment(string Key, string Variant, DateTimeOffset ExposedAt);

/// <summary>
/// One person as the events know them: their id, traits, first and last seen, the anonymous ids
/// merged into them, their account and the experiments they were exposed to.
/// </summary>
public sealed record Person(string Id, bool Known, JsonElement Traits, DateTimeOffset FirstSeen, DateTimeOffset LastSeen,
    IReadOnlyList<string> MergedIds, PersonAccount? Account, long Events, IReadOnlyList<PersonExperiment> Experiments);

public sealed class PersonQuery(IDbContextFactory<DashboardDbContext> dbFactory)
{
    /// <summary>The person with this id (userId or anonymousId; a merged anonymous id finds its user), or null.</summary>
    public async Task<Person?> FindAsync(string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.TrackedUsers.AsNoTracking().FirstOrDefaultAsync(u => u.Key == id, ct);
        if (row?.MergedInto is { } into) row = await db.TrackedUsers.AsNoTracking().FirstOrDefaultAsync(u => u.Id == into, ct);
        if (row is null) return null;
        var merged = await db.TrackedUsers.AsNoTracking().Where(u => u.MergedInto == row.Id).OrderBy(u => u.Key).Select(u => u.Key).ToListAsync(ct);
        var account = row.AccountId is { } a ? await db.Accounts.AsNoTracking().FirstOrDefaultAsync(x => x.Id == a, ct) : null;
        var events = await db.Events.LongCountAsync(e => e.UserId == row.Id, ct);
        var experiments = await db.Exposures.AsNoTracking().Where(x => x.UserId == row.Id).OrderBy(x => x.Timestamp)
            .Select(x => new { x.ExperimentKey, x.Variant, x.Timestamp }).ToListAsync(ct);
        return new Person(row.Key, row.Known, Json(row.Traits), Time(row.FirstSeen), Time(row.LastSeen), merged,
            account is null ? null : new PersonAccount(account.Key, Json(account.Traits)), events,
            [.. experiments.Select(x => new PersonExperiment(x.ExperimentKey, x.Variant, Time(x.Timestamp)))]);
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(string.IsNullOrEmpty(text) ? "{}" : text).RootElement.Clone();

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
