using Dashboard.Rollups;
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
    private sealed class Row
    {
        public int Range { get; set; }
        public string FeatureName { get; set; } = "";
        public long Week { get; set; }
        public long Events { get; set; }
        public int Users { get; set; }
        public int RangeUsers { get; set; }
    }

    public async Task<FeatureEngagementResult> RunAsync(DateOnly from, DateOnly to, CancellationToken ct = default) =>
        (await RunAsync([(from, to)], ct))[0];

    /// <summary>
    /// Several ranges (the weekly review's week, the week before and the trend's 8 weeks) in one
    /// snapshot, with what the events above the watermark change worked out once for all of them
    /// (see <see cref="Rollup.ActiveUsersAsync(DashboardDbContext, IReadOnlyList{Rollup.BucketRange}, CancellationToken)"/>);
    /// each answer equals the one range's.
    /// </summary>
    public async Task<IReadOnlyList<FeatureEngagementResult>> RunAsync(IReadOnlyList<(DateOnly From, DateOnly To)> ranges,
        CancellationToken ct = default)
    {
        var days = ranges.Select(r => (From: UtcCalendar.DayIndex(r.From), To: UtcCalendar.DayIndex(r.To))).ToList();
        var threshold = options.Value.UnusedAdoption;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var snapshot = await Rollup.BeginSnapshotAsync(db, ct);
        var active = (await Rollup.ActiveUsersAsync(db, days.Select(d => new Rollup.BucketRange(d.From, d.To, d.From, d.To - d.From + 1)).ToList(), ct))
            .ToLookup(r => r.Range, r => r.Users);

        // From the feature-day counts (the feature-user-day rollup grouped by day and previous day)
        // plus what the events above the watermark change (Rollup.TailDelta). A row is its user's
        // first for the feature in the range when the previous day is before `from` (a first day
        // ever is -1), and first in its week's part of the range when it is also or instead before
        // the week's Monday (UtcCalendar's week index of the day, and that week's first day).
        var week = UtcCalendar.WeekIndexOfDaySql("\"Day\"");
        var parts = days.Select((d, i) =>
        {
            string InWeek(string prev) => $"""(CASE WHEN {prev} < {d.From} OR {prev} < ({UtcCalendar.WeekStartDaySql(week)}) THEN 1 ELSE 0 END)""";
            string InRange(string prev) => $"""(CASE WHEN {prev} < {d.From} THEN 1 ELSE 0 END)""";
            var (weekPrevDay, rangePrevDay) = (InWeek("\"PrevDay\""), InRange("\"PrevDay\""));
            var (weekPrev, rangePrev) = (InWeek("\"Prev\""), InRange("\"Prev\""));
            var (weekMove, rangeMove) = ($"{InWeek("\"NewPrev\"")} - {InWeek("\"OldPrev\"")}", $"{InRange("\"NewPrev\"")} - {InRange("\"OldPrev\"")}");
            var inRange = $"""("Day" >= {d.From} AND "Day" <= {d.To})""";
            return $"""
                SELECT {i} AS "Range", "Feature" AS "FeatureName", {week} AS "Week", SUM("Events") AS "Events",
                       SUM({weekPrevDay} * "Users") AS "Users", SUM({rangePrevDay} * "Users") AS "RangeUsers"
                FROM "FeatureDayCounts"
                WHERE {inRange}
                GROUP BY "Day", "Feature"
                UNION ALL
                SELECT {i}, "Feature", {week}, 0, SUM({weekPrev}), SUM({rangePrev}) FROM nd WHERE {inRange} GROUP BY 2, 3
                UNION ALL
                SELECT {i}, "Feature", {week}, 0, SUM({weekMove}), SUM({rangeMove}) FROM mv WHERE {inRange} GROUP BY 2, 3
                UNION ALL
                SELECT {i}, "Feature", {week}, COUNT(*), 0, 0 FROM te WHERE {inRange} GROUP BY 2, 3
                """;
        });
        var rows = (await db.Database.SqlQueryRaw<Row>(Rollup.Sql($"""
            WITH {Rollup.TailDelta(true, days.Min(d => d.From), days.Max(d => d.To))}
            {string.Join("\nUNION ALL\n", parts)}
            """)).ToListAsync(ct)).ToLookup(r => r.Range);

        return ranges.Select((r, i) => Result(r.From, r.To, active[i].Sum(), rows[i], threshold)).ToList();
    }

    private static FeatureEngagementResult Result(DateOnly from, DateOnly to, int activeUsers, IEnumerable<Row> rows, double threshold)
    {
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
