using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Analytics.Retention;

public sealed record RetentionCohort(DateOnly Week, int Users, IReadOnlyList<double?> Retention);

public sealed record RetentionResult(IReadOnlyList<RetentionCohort> Cohorts);

/// <summary>
/// Weekly retention. A user's cohort is the ISO week (Monday start, UTC) of their first event ever;
/// the cohorts are the users whose first event falls in the inclusive days [from, to] (a week cut by
/// the range holds only the users who started inside it), one per week touching the range. Cell n
/// of a cohort = users of the cohort with at least one event in the n-th week after the cohort's
/// week / users of the cohort; cell 0 is therefore 1 for a non-empty cohort. Cells run from week 0
/// to the current week at now (a later event, up to the ingest's hour of clock skew, is ignored);
/// an empty cohort has null cells (cannot compute).
/// </summary>
public sealed class RetentionQuery(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    private sealed class Cell
    {
        public long Cohort { get; set; }
        public long Week { get; set; }
        public int Users { get; set; }
    }

    public async Task<RetentionResult> RunAsync(DateOnly from, DateOnly to, CancellationToken ct = default)
    {
        var fromMs = UtcCalendar.StartMs(from);
        var endMs = UtcCalendar.EndMs(to);
        var (shift, week) = (UtcCalendar.WeekShiftMs, UtcCalendar.WeekMs);
        var currentWeek = UtcCalendar.WeekIndex(clock.GetUtcNow().ToUnixTimeMilliseconds());
        var horizonMs = (currentWeek + 1) * week - shift;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Distinct active users per (cohort week, activity week): the cohort's size is its week-0 cell.
        var cells = await db.Database.SqlQuery<Cell>($"""
            SELECT (f."First" + {shift}) / {week} AS "Cohort", (e."Timestamp" + {shift}) / {week} AS "Week",
                   COUNT(DISTINCT e."UserId") AS "Users"
            FROM (SELECT "UserId", MIN("Timestamp") AS "First" FROM "Events" GROUP BY "UserId") AS f
            JOIN "Events" AS e ON e."UserId" = f."UserId"
            WHERE f."First" >= {fromMs} AND f."First" < {endMs} AND e."Timestamp" < {horizonMs}
            GROUP BY (f."First" + {shift}) / {week}, (e."Timestamp" + {shift}) / {week}
            """).ToListAsync(ct);
        var lookup = cells.ToDictionary(c => (c.Cohort, c.Week), c => c.Users);

        var cohorts = new List<RetentionCohort>();
        for (var c = UtcCalendar.WeekIndex(from); c <= UtcCalendar.WeekIndex(to); c++)
        {
            var size = lookup.GetValueOrDefault((c, c));
            var retention = new List<double?>();
            for (var w = c; w <= currentWeek; w++)
                retention.Add(size == 0 ? null : (double)lookup.GetValueOrDefault((c, w)) / size);
            cohorts.Add(new RetentionCohort(UtcCalendar.WeekStartOfIndex(c), size, retention));
        }
        return new RetentionResult(cohorts);
    }
}
