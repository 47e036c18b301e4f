using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Flags;

public sealed record FlagSummary(FlagState Flag, FlagStatus Status, DateTimeOffset UpdatedAt, string UpdatedBy,
    long EvaluationsLast24Hours, DateTimeOffset? LastEvaluatedAt, bool Stale, string? StaleReason);

public sealed record FlagAuditRow(long Id, string Actor, DateTimeOffset At, string Action, FlagState? Before, FlagState? After)
{
    public IReadOnlyList<string> Changes => FlagDiff.Describe(Before, After);
}

public sealed record FlagExperimentLink(string Key, ExperimentState State, DateTimeOffset? Start, DateTimeOffset? End);

public sealed record FlagDetail(FlagSummary Summary, IReadOnlyList<FlagExperimentLink> Experiments);

/// <summary>What a change would do to the users seen in the last 7 days, evaluated with their stored traits.</summary>
public sealed record FlagImpact(int UsersSeen, int TurnedOn, int TurnedOff, int VariantChanged);

/// <summary>
/// The flag list and a flag's page: each flag's state, last change and who made it, evaluations in
/// the last 24 hours (the current UTC hour and the 23 before it, from the flushed hourly counts),
/// and the stale marker: no evaluation for 30 days (a flag never evaluated counts from its last
/// change), or fully on (enabled, 100 %, no rule turning anyone off) unchanged for 30 days.
/// </summary>
public sealed class FlagQueries(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    private const long Hour = 3_600_000, Day = 24 * Hour;
    public const int StaleDays = 30;

    public async Task<IReadOnlyList<FlagSummary>> ListAsync(string? search = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Flags.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(search))
        {
            var s = search.Trim().ToLower();
            query = query.Where(f => f.Key.ToLower().Contains(s) || f.Description.ToLower().Contains(s) || f.Owner.ToLower().Contains(s));
        }
        var flags = await query.OrderBy(f => f.Key).ToListAsync(ct);
        return await SummarizeAsync(db, flags, ct);
    }

    public async Task<FlagDetail?> GetAsync(string key, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var flag = await db.Flags.AsNoTracking().FirstOrDefaultAsync(f => f.Key == key, ct);
        if (flag is null) return null;
        var summary = (await SummarizeAsync(db, [flag], ct))[0];
        var experiments = await db.Experiments.AsNoTracking().Where(e => e.FlagKey == key).OrderByDescending(e => e.CreatedAt)
            .Select(e => new { e.Key, e.State, e.Start, e.End }).ToListAsync(ct);
        return new FlagDetail(summary, experiments.Select(e => new FlagExperimentLink(e.Key, e.State, Time(e.Start), Time(e.End))).ToList());
    }

    public async Task<IReadOnlyList<FlagAuditRow>?> AuditAsync(string key, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Flags.AnyAsync(f => f.Key == key, ct)) return null;
        var rows = await db.FlagAudit.AsNoTracking().Where(a => a.FlagKey == key)
            .OrderByDescending(a => a.At).ThenByDescending(a => a.Id).ToListAsync(ct);
        return rows.Select(a => new FlagAuditRow(a.Id, a.Actor, DateTimeOffset.FromUnixTimeMilliseconds(a.At), a.Action,
            FlagState.FromJson(a.Before), FlagState.FromJson(a.After))).ToList();
    }

    /// <summary>The experiment in state Running on this flag whose dates contain now, if any.</summary>
    public async Task<string?> RunningExperimentAsync(string key, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Experiments.AsNoTracking()
            .Where(e => e.FlagKey == key && e.State == ExperimentState.Running && (e.Start == null || e.Start <= now) && (e.End == null || e.End >= now))
            .Select(e => e.Key).FirstOrDefaultAsync(ct);
    }

    public async Task<FlagImpact> ImpactAsync(FlagState? before, FlagState after, CancellationToken ct = default)
    {
        var since = clock.GetUtcNow().ToUnixTimeMilliseconds() - 7 * Day;
        var old = before is null ? null : new CompiledFlag(before.Normalized());
        var next = new CompiledFlag(after.Normalized());
        var attributes = after.Rules.Concat(before?.Rules ?? []).Select(r => r.Attribute).ToHashSet(StringComparer.Ordinal);
        int seen = 0, on = 0, off = 0, changed = 0;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await foreach (var u in db.TrackedUsers.AsNoTracking().Where(u => u.LastSeen >= since).Select(u => new { u.Key, u.Traits })
                           .AsAsyncEnumerable().WithCancellation(ct))
        {
            seen++;
            var context = new EvaluationContext(u.Key, attributes.Count == 0 ? null : StoredTraits.Read(u.Traits, attributes));
            var a = old is null ? new Evaluation(false, null, EvaluationReason.Disabled) : FlagEvaluator.Evaluate(old, context);
            var b = FlagEvaluator.Evaluate(next, context);
            if (!a.On && b.On) on++;
            else if (a.On && !b.On) off++;
            else if (a.On && b.On && a.Variant != b.Variant) changed++;
        }
        return new FlagImpact(seen, on, off, changed);
    }

    private async Task<List<FlagSummary>> SummarizeAsync(DashboardDbContext db, List<FlagRecord> flags, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var from = now - now % Hour - 23 * Hour;
        var keys = flags.Select(f => f.Key).ToList();
        var counts = await db.FlagEvaluationCounts.AsNoTracking()
            .Where(c => keys.Contains(c.FlagKey) && c.Count > 0)
            .GroupBy(c => c.FlagKey)
            .Select(g => new { Key = g.Key, Recent = g.Where(c => c.HourStart >= from).Sum(c => (long?)c.Count) ?? 0, Last = g.Max(c => c.HourStart) })
            .ToDictionaryAsync(x => x.Key, ct);
        var result = new List<FlagSummary>(flags.Count);
        foreach (var f in flags)
        {
            var state = FlagState.FromRecord(f);
            counts.TryGetValue(f.Key, out var c);
            long? last = c?.Last;
            string? stale = null;
            if ((last ?? f.UpdatedAt) < now - StaleDays * Day)
                stale = last is null ? $"never evaluated, unchanged for {StaleDays} days" : $"no evaluation for {StaleDays} days";
            else if (state.FullyOn && f.UpdatedAt < now - StaleDays * Day)
                stale = $"fully on for {StaleDays} days";
            result.Add(new FlagSummary(state, state.Status, DateTimeOffset.FromUnixTimeMilliseconds(f.UpdatedAt), f.UpdatedBy,
                c?.Recent ?? 0, Time(last), stale is not null, stale));
        }
        return result;
    }

    private static DateTimeOffset? Time(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
}
