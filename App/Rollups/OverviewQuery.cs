using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Rollups;

public sealed record OverviewResult(long Events, int Users, int ActiveUsersLast7Days, int Quarantined, int Definitions,
    IReadOnlyList<EventStat> TopEvents);

/// <summary>
/// Store-level totals for the overview: events stored (sum of the writer's per-name totals),
/// identities, weekly active users (distinct identities with at least one event in the last 7 full
/// UTC days, today excluded), quarantined items awaiting replay, and the most frequent event names.
/// </summary>
public sealed class OverviewQuery(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    public async Task<OverviewResult> RunAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var today = new DateTimeOffset(clock.GetUtcNow().UtcDateTime.Date, TimeSpan.Zero);
        var lastDay = today.ToUnixTimeMilliseconds() / UtcCalendar.DayMs - 1;
        var stats = await db.EventStats.AsNoTracking().OrderByDescending(s => s.Count).ToListAsync(ct);
        return new OverviewResult(
            stats.Sum(s => s.Count),
            await db.TrackedUsers.CountAsync(ct),
            (await Rollup.ActiveUsersAsync(db, lastDay - 6, lastDay, lastDay - 6, 7, ct)).Sum(r => r.Users),
            await db.Quarantine.CountAsync(q => q.ReplayedAt == null, ct),
            await db.EventDefinitions.CountAsync(ct),
            stats.Take(8).ToList());
    }
}
