using Dashboard.Rollups;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Analytics.WeeklyReview;

public sealed record NewUsersDay(DateOnly Day, int Users);

public sealed record CohortActivity(DateOnly CohortFrom, DateOnly CohortTo, int Users, int Active)
{
    /// <summary>active / users; null (cannot compute) for an empty cohort.</summary>
    public double? Rate => Users == 0 ? null : (double)Active / Users;
}

/// <summary>
/// New users and how many of a cohort come back, for the weekly review. A user is new on the UTC day
/// of their first event ever (the definition retention cohorts use). <see cref="PerDayAsync"/>
/// counts new users per day of the inclusive range [from, to], every day listed.
/// <see cref="ActivityAsync"/> takes the cohort of users whose first event falls in [cohortFrom,
/// cohortTo] and counts those with at least one event in [activeFrom, activeTo]. Both read the
/// user-day rollup (a user's first day is their row without a previous day) and add what the
/// events above its watermark change (<see cref="Rollup.TailDelta"/>).
/// </summary>
public sealed class NewUsersQuery(IDbContextFactory<DashboardDbContext> dbFactory)
{
    private sealed class DayRow
    {
        public long Day { get; set; }
        public int Users { get; set; }
    }

    private sealed class CohortRow
    {
        public int Users { get; set; }
        public int Active { get; set; }
    }

    public async Task<IReadOnlyList<NewUsersDay>> PerDayAsync(DateOnly from, DateOnly to, CancellationToken ct = default)
    {
        var (fromDay, toDay) = (UtcCalendar.DayIndex(from), UtcCalendar.DayIndex(to));
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // First days from the user-day counts (previous day -1), plus the tail's new first days,
        // less the rollup first days a tail day now precedes (a late event of an earlier day).
        var rows = (await db.Database.SqlQueryRaw<DayRow>(Rollup.Sql($"""
            WITH {Rollup.TailDelta(false, 0, toDay)},
            f AS (SELECT "Day", "Users" AS "N" FROM "UserDayCounts" WHERE "Day" >= {fromDay} AND "Day" <= {toDay} AND "PrevDay" = {Rollup.FirstDay}
                  UNION ALL
                  SELECT "Day", 1 FROM nd WHERE "Prev" = {Rollup.FirstDay}
                  UNION ALL
                  SELECT "Day", -1 FROM mv WHERE "OldPrev" = {Rollup.FirstDay})
            SELECT "Day" - {fromDay} AS "Day", SUM("N") AS "Users" FROM f
            WHERE "Day" >= {fromDay} AND "Day" <= {toDay}
            GROUP BY "Day" - {fromDay}
            """)).ToListAsync(ct)).ToDictionary(r => r.Day, r => r.Users);
        var days = new List<NewUsersDay>();
        for (var (day, i) = (from, 0L); day <= to; day = day.AddDays(1), i++)
            days.Add(new NewUsersDay(day, rows.GetValueOrDefault(i)));
        return days;
    }

    public async Task<CohortActivity> ActivityAsync(DateOnly cohortFrom, DateOnly cohortTo, DateOnly activeFrom, DateOnly activeTo,
        CancellationToken ct = default)
    {
        var (cohortFromDay, cohortToDay) = (UtcCalendar.DayIndex(cohortFrom), UtcCalendar.DayIndex(cohortTo));
        var (activeFromDay, activeToDay) = (UtcCalendar.DayIndex(activeFrom), UtcCalendar.DayIndex(activeTo));
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // The cohort: rollup first days in it that no tail day precedes, and the tail's new first
        // days in it; active when a rollup day or a tail event falls in the active days.
        var rows = await db.Database.SqlQueryRaw<CohortRow>(Rollup.Sql($"""
            WITH {Rollup.TailDelta(false, 0, Math.Max(cohortToDay, activeToDay))},
            c AS (SELECT f."UserId" FROM "UserDays" AS f
                  WHERE f."PrevDay" IS NULL AND f."Day" >= {cohortFromDay} AND f."Day" <= {cohortToDay}
                    AND NOT EXISTS (SELECT 1 FROM mv WHERE mv."UserId" = f."UserId" AND mv."Day" = f."Day" AND mv."OldPrev" = {Rollup.FirstDay})
                  UNION ALL
                  SELECT "UserId" FROM nd WHERE "Prev" = {Rollup.FirstDay} AND "Day" >= {cohortFromDay} AND "Day" <= {cohortToDay})
            SELECT COUNT(*) AS "Users",
                   COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM "UserDays" AS e WHERE e."UserId" = c."UserId"
                                                  AND e."Day" >= {activeFromDay} AND e."Day" <= {activeToDay})
                                       OR EXISTS (SELECT 1 FROM te WHERE te."UserId" = c."UserId"
                                                  AND te."Day" >= {activeFromDay} AND te."Day" <= {activeToDay}) THEN 1 ELSE 0 END), 0) AS "Active"
            FROM c
            """)).ToListAsync(ct);
        var row = rows.Single();
        return new CohortActivity(cohortFrom, cohortTo, row.Users, row.Active);
    }
}
