using Dashboard.Analytics.Rollups;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dashboard.Analytics.Engagement;

public sealed record FeatureWeek(DateOnly Week, long Events, int Users);

public sealed record FeatureUsage(string FeatureName, long Events, int Users, double? Adoption, bool Unused,
    IReadOnlyList<FeatureWeek> Trend);

public sealed record FeatureEngagementResult(int ActiveUsers, IReadOnlyList<FeatureUsage> Features);

/// <summary>
/// Feature engagement over the inclusive UTC days [from, to]: FEATURE_ENGAGED events with their
/// timestamp in the range, grouped by properties.featureName (missing, or the literal "(none)":
/// "(none)"). Per feature:
/// events, distinct users, adoption = those users / active users of the period (distinct identities
/// with any event in [from, to]; null when there are none), and a weekly trend (events and distinct
/// users per ISO week, Monday start, every week touching the range, empty ones with zeros). A feature
/// is unused when its adoption is under <c>Analytics:UnusedAdoption</c> (default 0.05). Features are
/// ordered by users, then events, then name.
/// </summary>
public sealed class FeatureEngagementQuery(IDbContextFactory<DashboardDbContext> dbFactory, IOptions<AnalyticsOptions> options)
{
    public const string EventName = "FEATURE_ENGAGED";

    private sealed class Row
    {
        public string FeatureName { get; set; } = "";
        public long Week { get; set; }
        public long Events { get; set; }
        public int Users { get; set; }
        public int RangeUsers { get; set; }
    }

    public async Task<FeatureEngagementResult> RunAsync(DateOnly from, DateOnly to, CancellationToken ct = default)
    {
        var (fromDay, toDay) = (UtcCalendar.DayIndex(from), UtcCalendar.DayIndex(to));
        var (fromMs, endMs) = (UtcCalendar.StartMs(from), UtcCalendar.EndMs(to));
        var threshold = options.Value.UnusedAdoption;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var snapshot = await Rollup.BeginSnapshotAsync(db, ct);
        var activeUsers = (await Rollup.ActiveUsersAsync(db, fromDay, toDay, fromDay, toDay - fromDay + 1, ct)).Sum(r => r.Users);

        // From the feature-user-day rollup plus the events above its watermark. A rollup row is its
        // user's first for the feature in the range when the previous day is before `from`, and first
        // in its week's part of the range when it is also or instead before the week's Monday
        // (week index = (day + 3) / 7, Monday = index * 7 - 3). Users seen in the tail are counted
        // apart, from their rollup rows and tail events together; their per-feature totals come as week -1.
        const string weekStart = """(("Day" + 3) / 7 * 7 - 3)""";
        var rows = await db.Database.SqlQueryRaw<Row>(Rollup.Sql($"""
            WITH w AS ({Rollup.Watermark}),
            t AS (SELECT DISTINCT e."UserId" FROM "Events" AS e, w WHERE e."Id" > w."Id" AND {Rollup.IsFeatureEvent}),
            x AS (SELECT r."UserId", r."Feature", r."Day", r."Events" AS "N" FROM "FeatureUserDays" AS r
                  WHERE r."UserId" IN (SELECT "UserId" FROM t) AND r."Day" >= {fromDay} AND r."Day" <= {toDay}
                  UNION ALL
                  SELECT e."UserId", {Rollup.FeatureOf}, e."Timestamp" / {UtcCalendar.DayMs}, 1 FROM "Events" AS e, w
                  WHERE e."Id" > w."Id" AND {Rollup.IsFeatureEvent} AND +e."Timestamp" >= {fromMs} AND +e."Timestamp" < {endMs})
            SELECT "Feature" AS "FeatureName", ("Day" + 3) / 7 AS "Week", SUM("Events") AS "Events",
                   SUM(CASE WHEN "PrevDay" IS NULL OR "PrevDay" < {fromDay} OR "PrevDay" < {weekStart} THEN 1 ELSE 0 END) AS "Users",
                   SUM(CASE WHEN "PrevDay" IS NULL OR "PrevDay" < {fromDay} THEN 1 ELSE 0 END) AS "RangeUsers"
            FROM "FeatureUserDays"
            WHERE "Day" >= {fromDay} AND "Day" <= {toDay} AND "UserId" NOT IN (SELECT "UserId" FROM t)
            GROUP BY "Day", "Feature"
            UNION ALL
            SELECT "Feature", ("Day" + 3) / 7, SUM("N"), COUNT(DISTINCT "UserId"), 0 FROM x GROUP BY "Feature", ("Day" + 3) / 7
            UNION ALL
            SELECT "Feature", -1, 0, 0, COUNT(DISTINCT "UserId") FROM x GROUP BY "Feature"
            """)).ToListAsync(ct);

        var weeks = new List<long>();
        for (var w = UtcCalendar.WeekIndex(from); w <= UtcCalendar.WeekIndex(to); w++) weeks.Add(w);

        var features = rows
            .GroupBy(r => r.FeatureName, StringComparer.Ordinal)
            .Select(g =>
            {
                var byWeek = g.Where(r => r.Week != -1).GroupBy(r => r.Week)
                    .ToDictionary(w => w.Key, w => (Events: w.Sum(r => r.Events), Users: w.Sum(r => r.Users)));
                var trend = weeks.Select(w => byWeek.TryGetValue(w, out var r)
                    ? new FeatureWeek(UtcCalendar.WeekStartOfIndex(w), r.Events, r.Users)
                    : new FeatureWeek(UtcCalendar.WeekStartOfIndex(w), 0, 0)).ToList();
                var users = g.Sum(r => r.RangeUsers);
                double? adoption = activeUsers == 0 ? null : (double)users / activeUsers;
                return new FeatureUsage(g.Key, byWeek.Values.Sum(r => r.Events), users, adoption, adoption < threshold, trend);
            })
            .OrderByDescending(f => f.Users).ThenByDescending(f => f.Events).ThenBy(f => f.FeatureName, StringComparer.Ordinal)
            .ToList();
        return new FeatureEngagementResult(activeUsers, features);
    }
}
