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
/// timestamp in the range, grouped by properties.featureName (missing: "(none)"). Per feature:
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
        public string? FeatureName { get; set; }
        public long Week { get; set; }
        public long Events { get; set; }
        public int Users { get; set; }
    }

    public async Task<FeatureEngagementResult> RunAsync(DateOnly from, DateOnly to, CancellationToken ct = default)
    {
        var fromMs = UtcCalendar.StartMs(from);
        var endMs = UtcCalendar.EndMs(to);
        var (shift, week) = (UtcCalendar.WeekShiftMs, UtcCalendar.WeekMs);
        var threshold = options.Value.UnusedAdoption;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var activeUsers = await db.Events
            .Where(e => e.Timestamp >= fromMs && e.Timestamp < endMs)
            .Select(e => e.UserId).Distinct().CountAsync(ct);

        // json_extract is SQLite's JSON accessor; it is the one dialect-specific expression here
        // (PostgreSQL: CAST("Properties" AS jsonb) ->> 'featureName'). A week of -1 marks the
        // per-feature totals, whose distinct users cannot be summed from the weeks.
        var rows = await db.Database.SqlQuery<Row>($"""
            SELECT CAST(json_extract("Properties", '$.featureName') AS TEXT) AS "FeatureName",
                   ("Timestamp" + {shift}) / {week} AS "Week", COUNT(*) AS "Events", COUNT(DISTINCT "UserId") AS "Users"
            FROM "Events"
            WHERE "Name" = {EventName} AND "Timestamp" >= {fromMs} AND "Timestamp" < {endMs}
            GROUP BY CAST(json_extract("Properties", '$.featureName') AS TEXT), ("Timestamp" + {shift}) / {week}
            UNION ALL
            SELECT CAST(json_extract("Properties", '$.featureName') AS TEXT), -1, COUNT(*), COUNT(DISTINCT "UserId")
            FROM "Events"
            WHERE "Name" = {EventName} AND "Timestamp" >= {fromMs} AND "Timestamp" < {endMs}
            GROUP BY CAST(json_extract("Properties", '$.featureName') AS TEXT)
            """).ToListAsync(ct);

        var weeks = new List<long>();
        for (var w = UtcCalendar.WeekIndex(from); w <= UtcCalendar.WeekIndex(to); w++) weeks.Add(w);

        var features = rows
            .GroupBy(r => r.FeatureName)
            .Select(g =>
            {
                var totals = g.Single(r => r.Week == -1);
                var byWeek = g.Where(r => r.Week != -1).ToDictionary(r => r.Week);
                var trend = weeks.Select(w => byWeek.TryGetValue(w, out var r)
                    ? new FeatureWeek(UtcCalendar.WeekStartOfIndex(w), r.Events, r.Users)
                    : new FeatureWeek(UtcCalendar.WeekStartOfIndex(w), 0, 0)).ToList();
                double? adoption = activeUsers == 0 ? null : (double)totals.Users / activeUsers;
                return new FeatureUsage(g.Key ?? JsonText.None, totals.Events, totals.Users, adoption, adoption < threshold, trend);
            })
            .OrderByDescending(f => f.Users).ThenByDescending(f => f.Events).ThenBy(f => f.FeatureName, StringComparer.Ordinal)
            .ToList();
        return new FeatureEngagementResult(activeUsers, features);
    }
}
