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
        var threshold = options.Value.UnusedAdoption;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var snapshot = await Rollup.BeginSnapshotAsync(db, ct);
        var activeUsers = (await Rollup.ActiveUsersAsync(db, fromDay, toDay, fromDay, toDay - fromDay + 1, ct)).Sum(r => r.Users);

        // From the feature-day counts (the feature-user-day rollup grouped by day and previous day)
        // plus what the events above the watermark change (Rollup.TailDelta). A row is its user's
        // first for the feature in the range when the previous day is before `from` (a first day
        // ever is -1), and first in its week's part of the range when it is also or instead before
        // the week's Monday (week index = (day + 3) / 7, Monday = index * 7 - 3).
        const string week = """("Day" + 3) / 7""";
        string InWeek(string prev) => $"""(CASE WHEN {prev} < {fromDay} OR {prev} < (("Day" + 3) / 7 * 7 - 3) THEN 1 ELSE 0 END)""";
        string InRange(string prev) => $"""(CASE WHEN {prev} < {fromDay} THEN 1 ELSE 0 END)""";
        var (weekPrevDay, rangePrevDay) = (InWeek("\"PrevDay\""), InRange("\"PrevDay\""));
        var (weekPrev, rangePrev) = (InWeek("\"Prev\""), InRange("\"Prev\""));
        var (weekMove, rangeMove) = ($"{InWeek("\"NewPrev\"")} - {InWeek("\"OldPrev\"")}", $"{InRange("\"NewPrev\"")} - {InRange("\"OldPrev\"")}");
        var rows = await db.Database.SqlQueryRaw<Row>(Rollup.Sql($"""
            WITH {Rollup.TailDelta(true, fromDay, toDay)}
            SELECT "Feature" AS "FeatureName", {week} AS "Week", SUM("Events") AS "Events",
                   SUM({weekPrevDay} * "Users") AS "Users", SUM({rangePrevDay} * "Users") AS "RangeUsers"
            FROM "FeatureDayCounts"
            WHERE "Day" >= {fromDay} AND "Day" <= {toDay}
            GROUP BY "Day", "Feature"
            UNION ALL
            SELECT "Feature", {week}, 0, SUM({weekPrev}), SUM({rangePrev}) FROM nd GROUP BY 1, 2
            UNION ALL
            SELECT "Feature", {week}, 0, SUM({weekMove}), SUM({rangeMove}) FROM mv GROUP BY 1, 2
            UNION ALL
            SELECT "Feature", {week}, COUNT(*), 0, 0 FROM te GROUP BY 1, 2
            """)).ToListAsync(ct);

        var weeks = new List<long>();
        for (var w = UtcCalendar.WeekIndex(from); w <= UtcCalendar.WeekIndex(to); w++) weeks.Add(w);

        var features = rows
            .GroupBy(r => r.FeatureName, StringComparer.Ordinal)
            .Select(g =>
            {
                var byWeek = g.GroupBy(r => r.Week)
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
