using Dashboard.Analytics.Rollups;
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
/// user-day rollup (a user's first day is their row without a previous day) plus the events above
/// its watermark, counting the users seen there from their rollup days and raw days together.
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
        var rows = (await db.Database.SqlQueryRaw<DayRow>(Rollup.Sql($"""
            WITH {Rollup.TailDays},
            f AS (SELECT "Day" AS "First" FROM "UserDays"
                  WHERE "PrevDay" IS NULL AND "Day" >= {fromDay} AND "Day" <= {toDay} AND "UserId" NOT IN (SELECT "UserId" FROM t)
                  UNION ALL
                  SELECT MIN("Day") FROM ud GROUP BY "UserId")
            SELECT "First" - {fromDay} AS "Day", COUNT(*) AS "Users" FROM f
            WHERE "First" >= {fromDay} AND "First" <= {toDay}
            GROUP BY "First" - {fromDay}
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
        var rows = await db.Database.SqlQueryRaw<CohortRow>(Rollup.Sql($"""
            WITH {Rollup.TailDays},
            f2 AS (SELECT "UserId", MIN("Day") AS "First" FROM ud GROUP BY "UserId")
            SELECT COUNT(*) AS "Users",
                   COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM "UserDays" AS e WHERE e."UserId" = f."UserId"
                                                  AND e."Day" >= {activeFromDay} AND e."Day" <= {activeToDay}) THEN 1 ELSE 0 END), 0) AS "Active"
            FROM "UserDays" AS f
            WHERE f."PrevDay" IS NULL AND f."Day" >= {cohortFromDay} AND f."Day" <= {cohortToDay} AND f."UserId" NOT IN (SELECT "UserId" FROM t)
            UNION ALL
            SELECT COUNT(*),
                   COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM ud AS e WHERE e."UserId" = f."UserId"
                                                  AND e."Day" >= {activeFromDay} AND e."Day" <= {activeToDay}) THEN 1 ELSE 0 END), 0)
            FROM f2 AS f
            WHERE f."First" >= {cohortFromDay} AND f."First" <= {cohortToDay}
            """)).ToListAsync(ct);
        return new CohortActivity(cohortFrom, cohortTo, rows.Sum(r => r.Users), rows.Sum(r => r.Active));
    }
}
