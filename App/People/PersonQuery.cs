using System.Text.Json;
using Dashboard.Data;
using Dashboard.Flags;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.People;

public sealed record PersonAccount(string Id, JsonElement Traits);

public sealed record PersonExperiment(string Key, string Variant, DateTimeOffset ExposedAt);

/// <summary>A flag as the person gets it now: the OFREP value (a boolean, or the variant key for a flag with variants), the variant and the reason.</summary>
public sealed record PersonFlag(string Key, JsonElement Value, string Variant, string Reason);

/// <summary>
/// One person as the events know them: their id, traits, first and last seen, the anonymous ids
/// merged into them, their account, the experiments they were exposed to, and every flag evaluated
/// now for them (their id as the targeting key, their stored traits as the attributes; nothing is
/// counted or recorded as an exposure).
/// </summary>
public sealed record Person(string Id, bool Known, JsonElement Traits, DateTimeOffset FirstSeen, DateTimeOffset LastSeen,
    IReadOnlyList<string> MergedIds, PersonAccount? Account, long Events, IReadOnlyList<PersonExperiment> Experiments,
    IReadOnlyList<PersonFlag> Flags);

public sealed class PersonQuery(IDbContextFactory<DashboardDbContext> dbFactory, FlagCache flags)
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
        return new Person(row.Key, row.Known, StoredJson.Object(row.Traits), StoredJson.Time(row.FirstSeen), StoredJson.Time(row.LastSeen), merged,
            account is null ? null : new PersonAccount(account.Key, StoredJson.Object(account.Traits)), events,
            [.. experiments.Select(x => new PersonExperiment(x.ExperimentKey, x.Variant, StoredJson.Time(x.Timestamp)))],
            FlagsFor(row.Key, row.Traits));
    }

    /// <summary>The pure evaluation of every cached flag, with the traits of the row itself (not the periodically refreshed cache).</summary>
    private List<PersonFlag> FlagsFor(string key, string traits)
    {
        var context = new EvaluationContext(key, StoredTraits.Read(traits, null));
        var result = new List<PersonFlag>();
        foreach (var flag in flags.Snapshot.All)
        {
            var evaluation = FlagEvaluator.Evaluate(flag.Flag, context);
            var variant = evaluation.VariantName(flag.Flag);
            var value = flag.Flag.HasVariants ? JsonSerializer.SerializeToElement(variant) : JsonSerializer.SerializeToElement(evaluation.On);
            result.Add(new PersonFlag(flag.Flag.Key, value, variant, evaluation.ReasonName));
        }
        return result;
    }
}
