using Dashboard.Analytics.Rollups;
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
        var (fromDay, toDay) = (UtcCalendar.DayIndex(from), UtcCalendar.DayIndex(to));
        var currentWeek = UtcCalendar.WeekIndex(clock.GetUtcNow().ToUnixTimeMilliseconds());
        var horizonDay = ((currentWeek + 1) * UtcCalendar.WeekMs - UtcCalendar.WeekShiftMs) / UtcCalendar.DayMs;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // From the user-day rollup plus the events above its watermark. A user's first rollup row (no
        // previous day) is their first event's day; a row is their first in its ISO week when the
        // previous day is before that week's Monday (week index = (day + 3) / 7, Monday = index * 7 - 3).
        // Users seen in the tail are counted apart, from their rollup days and tail days together.
        var cells = (await db.Database.SqlQueryRaw<Cell>(Rollup.Sql($"""
            WITH {Rollup.TailDays},
            f1 AS (SELECT "UserId", "Day" AS "First" FROM "UserDays"
                   WHERE "PrevDay" IS NULL AND "Day" >= {fromDay} AND "Day" <= {toDay} AND "UserId" NOT IN (SELECT "UserId" FROM t)),
            f2 AS (SELECT "UserId", MIN("Day") AS "First" FROM ud GROUP BY "UserId")
            SELECT (f."First" + 3) / 7 AS "Cohort", (e."Day" + 3) / 7 AS "Week", COUNT(*) AS "Users"
            FROM f1 AS f JOIN "UserDays" AS e ON e."UserId" = f."UserId"
            WHERE e."Day" < {horizonDay} AND (e."PrevDay" IS NULL OR e."PrevDay" < (e."Day" + 3) / 7 * 7 - 3)
            GROUP BY (f."First" + 3) / 7, (e."Day" + 3) / 7
            UNION ALL
            SELECT (f."First" + 3) / 7, (e."Day" + 3) / 7, COUNT(DISTINCT e."UserId")
            FROM f2 AS f JOIN ud AS e ON e."UserId" = f."UserId"
            WHERE f."First" >= {fromDay} AND f."First" <= {toDay} AND e."Day" < {horizonDay}
            GROUP BY (f."First" + 3) / 7, (e."Day" + 3) / 7
            """)).ToListAsync(ct));
        var lookup = cells.GroupBy(c => (c.Cohort, c.Week)).ToDictionary(g => g.Key, g => g.Sum(c => c.Users));

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
