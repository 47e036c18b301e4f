using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data;

public sealed record OverviewResult(long Events, int Users, int ActiveUsersLast7Days, int Quarantined, int Definitions,
    IReadOnlyList<EventStat> TopEvents);

/// <summary>
/// Store-level totals for the overview: events stored (sum of the writer's per-name totals),
/// identities, identities whose last event falls in the last 7 days, quarantined items awaiting
/// replay, and the most frequent event names.
/// </summary>
public sealed class OverviewQuery(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    public async Task<OverviewResult> RunAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var since = clock.GetUtcNow().AddDays(-7).ToUnixTimeMilliseconds();
        var stats = await db.EventStats.AsNoTracking().OrderByDescending(s => s.Count).ToListAsync(ct);
        return new OverviewResult(
            stats.Sum(s => s.Count),
            await db.TrackedUsers.CountAsync(ct),
            await db.TrackedUsers.CountAsync(u => u.LastSeen >= since, ct),
            await db.Quarantine.CountAsync(q => q.ReplayedAt == null, ct),
            await db.EventDefinitions.CountAsync(ct),
            stats.Take(8).ToList());
    }
}
