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
/// cohortTo] and counts those with at least one event in [activeFrom, activeTo].
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
        var fromMs = UtcCalendar.StartMs(from);
        var endMs = UtcCalendar.EndMs(to);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Database.SqlQuery<DayRow>($"""
            SELECT (f."First" - {fromMs}) / {UtcCalendar.DayMs} AS "Day", COUNT(*) AS "Users"
            FROM (SELECT "UserId", MIN("Timestamp") AS "First" FROM "Events" GROUP BY "UserId") AS f
            WHERE f."First" >= {fromMs} AND f."First" < {endMs}
            GROUP BY (f."First" - {fromMs}) / {UtcCalendar.DayMs}
            """).ToDictionaryAsync(r => r.Day, r => r.Users, ct);
        var days = new List<NewUsersDay>();
        for (var (day, i) = (from, 0L); day <= to; day = day.AddDays(1), i++)
            days.Add(new NewUsersDay(day, rows.GetValueOrDefault(i)));
        return days;
    }

    public async Task<CohortActivity> ActivityAsync(DateOnly cohortFrom, DateOnly cohortTo, DateOnly activeFrom, DateOnly activeTo,
        CancellationToken ct = default)
    {
        var (cohortFromMs, cohortEndMs) = (UtcCalendar.StartMs(cohortFrom), UtcCalendar.EndMs(cohortTo));
        var (activeFromMs, activeEndMs) = (UtcCalendar.StartMs(activeFrom), UtcCalendar.EndMs(activeTo));
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = (await db.Database.SqlQuery<CohortRow>($"""
            SELECT COUNT(*) AS "Users", COUNT(a."UserId") AS "Active"
            FROM (SELECT "UserId", MIN("Timestamp") AS "First" FROM "Events" GROUP BY "UserId") AS f
            LEFT JOIN (SELECT DISTINCT "UserId" FROM "Events" WHERE "Timestamp" >= {activeFromMs} AND "Timestamp" < {activeEndMs}) AS a
                   ON a."UserId" = f."UserId"
            WHERE f."First" >= {cohortFromMs} AND f."First" < {cohortEndMs}
            """).ToListAsync(ct)).Single();
        return new CohortActivity(cohortFrom, cohortTo, row.Users, row.Active);
    }
}
