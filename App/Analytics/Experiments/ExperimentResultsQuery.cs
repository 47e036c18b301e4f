using System.Text.Json;
using Dashboard.Analytics.Statistics;
using Dashboard.Data;
using Dashboard.Rollups;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Analytics.Experiments;

/// <summary>One variant's counts and, for treatments, the comparison with control (null where it cannot be computed, with the reason in <c>note</c>).</summary>
public sealed record VariantResult(
    string Key,
    double Weight,
    long Exposed,
    long Converted,
    double? Rate,
    double? AbsoluteLift,
    double[]? Ci95,
    double? RelativeLift,
    double? PValue,
    double? ChanceToBeatControl,
    string? Note);

public sealed record SrmResult(double? PValue, bool Mismatch, string? Note);

/// <summary>Another running experiment and how many of this experiment's users it also exposed.</summary>
public sealed record ExperimentOverlap(string ExperimentKey, long Users);

/// <summary>Cumulative counts per variant (in the order of <c>variants</c>) at the end of a UTC day.</summary>
public sealed record TimelinePoint(DateOnly Day, long[] Exposed, long[] Converted, double?[] Rate);

public sealed record ExperimentResult(
    string Key,
    string FlagKey,
    string State,
    string GoalEvent,
    DateTimeOffset? Start,
    DateTimeOffset? End,
    double MinimumDetectableEffect,
    IReadOnlyList<VariantResult> Variants,
    SrmResult Srm,
    long? SampleSizePerVariant,
    string? SampleSizeNote,
    double? Progress,
    double DaysRunning,
    int? DaysLeft,
    string? LeadingVariant,
    long UnknownVariantExposures,
    IReadOnlyList<ExperimentOverlap> Overlaps,
    string Verdict,
    IReadOnlyList<TimelinePoint> Timeline);

/// <summary>
/// The A/B comparison of one experiment. A user is in the variant of their first exposure inside
/// [start, end) (the Exposures table keeps only the first per experiment; the dates are still
/// applied). Converted = a goal event (matching the property filter) at or after that exposure and
/// before the end. SQL returns the exposures and each exposed user's goal events; C# counts per
/// variant and derives rates, lifts, intervals, p-values and the sample size from the pure
/// functions in <c>Analytics/Statistics</c>. Overlaps: users of this experiment that another
/// running experiment also exposed.
/// </summary>
public sealed class ExperimentResultsQuery(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    private const int MaxTimelinePoints = 200;

    private sealed class ExposureRow
    {
        public long UserId { get; set; }
        public string Variant { get; set; } = "";
        public long Timestamp { get; set; }
    }

    private sealed class GoalRow
    {
        public long UserId { get; set; }
        public long Timestamp { get; set; }
        public string Properties { get; set; } = "{}";
    }

    private sealed class OverlapRow
    {
        public string ExperimentKey { get; set; } = "";
        public long Users { get; set; }
    }

    public async Task<ExperimentResult?> RunAsync(string key, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var experiment = await db.Experiments.AsNoTracking().FirstOrDefaultAsync(e => e.Key == key, ct);
        return experiment is null ? null : await RunAsync(db, experiment, ct);
    }

    /// <summary>Every experiment, newest first, with its results.</summary>
    public async Task<IReadOnlyList<(ExperimentView Experiment, ExperimentResult Result)>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var experiments = await db.Experiments.AsNoTracking().OrderByDescending(e => e.CreatedAt).ThenBy(e => e.Key).ToListAsync(ct);
        var list = new List<(ExperimentView, ExperimentResult)>(experiments.Count);
        foreach (var e in experiments) list.Add((ExperimentView.From(e), await RunAsync(db, e, ct)));
        return list;
    }

    private async Task<ExperimentResult> RunAsync(DashboardDbContext db, ExperimentRecord e, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var start = e.Start ?? long.MaxValue; // a draft without a start has no exposures to count
        var end = e.End ?? long.MaxValue;
        var key = e.Key;
        var goal = e.GoalEvent;

        var exposures = await db.Database.SqlQuery<ExposureRow>($"""
            SELECT x."UserId", x."Variant", x."Timestamp"
            FROM "Exposures" AS x
            WHERE x."ExperimentKey" = {key} AND x."Timestamp" >= {start} AND x."Timestamp" < {end}
            """).ToListAsync(ct);
        // Goal events of exposed users at or after their exposure and before the end; the index on
        // (Name, Timestamp) finds the goal events, the unique (ExperimentKey, UserId) their exposure.
        var goals = await db.Database.SqlQuery<GoalRow>($"""
            SELECT g."UserId", g."Timestamp", g."Properties"
            FROM "Events" AS g
            JOIN "Exposures" AS x ON x."ExperimentKey" = {key} AND x."UserId" = g."UserId"
            WHERE g."Name" = {goal} AND g."Timestamp" >= {start} AND g."Timestamp" < {end}
              AND x."Timestamp" >= {start} AND x."Timestamp" < {end} AND g."Timestamp" >= x."Timestamp"
            """).ToListAsync(ct);
        var overlaps = await db.Database.SqlQuery<OverlapRow>($"""
            SELECT o."ExperimentKey", COUNT(*) AS "Users"
            FROM "Experiments" AS other
            JOIN "Exposures" AS o ON o."ExperimentKey" = other."Key"
            JOIN "Exposures" AS x ON x."ExperimentKey" = {key} AND x."UserId" = o."UserId"
            WHERE other."State" = 'Running' AND other."Key" <> {key}
            GROUP BY o."ExperimentKey"
            ORDER BY o."ExperimentKey"
            """).ToListAsync(ct);

        var filter = ExperimentJson.Filter(e.GoalFilter);
        var firstConversion = new Dictionary<long, long>();
        foreach (var g in goals)
        {
            if (!ExperimentJson.Matches(g.Properties, filter)) continue;
            if (!firstConversion.TryGetValue(g.UserId, out var at) || g.Timestamp < at) firstConversion[g.UserId] = g.Timestamp;
        }

        var variants = ExperimentJson.Variants(e.Variants);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < variants.Count; i++) index.TryAdd(variants[i].Key, i);
        var exposed = new long[variants.Count];
        var converted = new long[variants.Count];
        long unknown = 0;
        var users = new List<(int Variant, long ExposedAt, long? ConvertedAt)>(exposures.Count);
        foreach (var x in exposures)
        {
            if (!index.TryGetValue(x.Variant, out var v)) { unknown++; continue; }
            exposed[v]++;
            long? conv = firstConversion.TryGetValue(x.UserId, out var c) ? c : null;
            if (conv is not null) converted[v]++;
            users.Add((v, x.Timestamp, conv));
        }

        var daysRunning = e.Start is { } s && e.State != ExperimentState.Draft
            ? Math.Max(0, (Math.Min(now, end) - s) / (double)UtcCalendar.DayMs)
            : 0;
        var analysis = ExperimentAnalysis.Analyse(variants, exposed, converted, e.MinimumDetectableEffect, daysRunning);
        var verdict = ExperimentVerdict.Describe(e, analysis, now);
        var timeline = Timeline(e, variants.Count, users, now);

        return new ExperimentResult(e.Key, e.FlagKey, ExperimentJson.State(e.State), e.GoalEvent,
            ExperimentJson.Time(e.Start), ExperimentJson.Time(e.End), e.MinimumDetectableEffect,
            analysis.Variants, analysis.Srm, analysis.SampleSizePerVariant, analysis.SampleSizeNote, analysis.Progress,
            Math.Round(daysRunning, 2), analysis.DaysLeft, analysis.LeadingVariant, unknown,
            overlaps.Select(o => new ExperimentOverlap(o.ExperimentKey, o.Users)).ToList(), verdict, timeline);
    }

    /// <summary>Cumulative exposed, converted and rate per variant at the end of each UTC day from the start to today (or the end).</summary>
    private static List<TimelinePoint> Timeline(ExperimentRecord e, int variantCount,
        List<(int Variant, long ExposedAt, long? ConvertedAt)> users, long now)
    {
        var points = new List<TimelinePoint>();
        if (e.Start is not { } start || variantCount == 0 || e.State == ExperimentState.Draft) return points;
        var last = Math.Min(now, e.End ?? long.MaxValue);
        if (last <= start) return points;
        var firstDay = UtcCalendar.Day(start);
        var lastDay = UtcCalendar.Day(last - 1);
        var days = lastDay.DayNumber - firstDay.DayNumber + 1;
        var step = Math.Max(1, (int)Math.Ceiling(days / (double)MaxTimelinePoints));
        // Sorted event times per variant let each day's cumulative count be a binary search.
        var exposedAt = Enumerable.Range(0, variantCount).Select(v => users.Where(u => u.Variant == v).Select(u => u.ExposedAt).Order().ToArray()).ToArray();
        var convertedAt = Enumerable.Range(0, variantCount).Select(v => users.Where(u => u.Variant == v && u.ConvertedAt is not null).Select(u => u.ConvertedAt!.Value).Order().ToArray()).ToArray();
        for (var d = 0; d < days; d += step)
        {
            var day = firstDay.AddDays(Math.Min(days - 1, d + step - 1));
            var cutoff = UtcCalendar.EndMs(day);
            var ex = exposedAt.Select(a => (long)CountBelow(a, cutoff)).ToArray();
            var cv = convertedAt.Select(a => (long)CountBelow(a, cutoff)).ToArray();
            points.Add(new TimelinePoint(day, ex, cv, ex.Select((n, i) => n == 0 ? (double?)null : (double)cv[i] / n).ToArray()));
            if (day == lastDay) break;
        }
        return points;
    }

    private static int CountBelow(long[] sorted, long cutoff)
    {
        var i = Array.BinarySearch(sorted, cutoff);
        if (i < 0) return ~i;
        while (i > 0 && sorted[i - 1] == cutoff) i--;
        return i;
    }
}
