using Dashboard.Cohorts;
using Dashboard.Data;
using Dashboard.Rollups;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Jobs;

/// <summary>
/// Recomputes every cohort's membership (behaviour windows move with the clock) and records the
/// size of the day: one CohortSizes row per cohort and UTC day, the latest run of the day's size.
/// </summary>
public sealed class CohortJob(IDbContextFactory<DashboardDbContext> dbFactory, CohortMembership membership, TimeProvider clock)
{
    public const string Id = "cohorts";

    /// <summary>Recomputes the cohorts; answers how many were recomputed.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        List<string> keys;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            keys = await db.Cohorts.AsNoTracking().OrderBy(c => c.Key).Select(c => c.Key).ToListAsync(ct);
        var day = UtcCalendar.DayIndex(UtcCalendar.Day(clock.GetUtcNow().ToUnixTimeMilliseconds()));
        var done = 0;
        foreach (var key in keys)
        {
            // A cohort deleted since the list was read has no size to record.
            if (await membership.ComputeAsync(key, ct) is not { } size) continue;
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var row = await db.CohortSizes.FirstOrDefaultAsync(s => s.CohortKey == key && s.Day == day, ct);
            if (row is null) db.CohortSizes.Add(new CohortSize { CohortKey = key, Day = day, Size = size });
            else row.Size = size;
            await db.SaveChangesAsync(ct);
            done++;
        }
        return done;
    }
}
