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
    double? AdjustedPValue,
    double? ChanceToBeatControl,
    SequentialResult? Sequential,
    CupedResult? Cuped,
    string? Note);

/// <summary>The always-valid 95% confidence sequence of the absolute lift, its always-valid p-value, and whether it is significant (Holm-corrected across treatments when there are several).</summary>
public sealed record SequentialResult(double[] Ci95, double PValue, bool Significant);

/// <summary>The CUPED-adjusted absolute lift with its 95% interval, the share of the variance it removed, and θ.</summary>
public sealed record CupedResult(double AbsoluteLift, double[] Ci95, double VarianceReduction, double Theta);

/// <summary>One variant's figures for a secondary or guardrail metric (control's comparison fields are null).</summary>
public sealed record MetricVariantResult(string Key, long Exposed, long Converted, double? Rate, double? AbsoluteLift, double[]? Ci95,
    double? RelativeLift, double? PValue, SequentialResult? Sequential, string? Note);

/// <summary>A secondary or guardrail metric reported like the goal; <c>wrongWay</c>: a treatment moved it against its direction significantly.</summary>
public sealed record MetricResult(string Event, IReadOnlyDictionary<string, JsonElement> Where, string Kind, string Direction,
    IReadOnlyList<MetricVariantResult> Variants, bool WrongWay, IReadOnlyList<string> Warnings);

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
    string Analysis,
    string Correction,
    IReadOnlyList<VariantResult> Variants,
    string? CupedNote,
    IReadOnlyList<MetricResult> Metrics,
    IReadOnlyList<string> GuardrailWarnings,
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
/// functions in <c>Analytics/Statistics</c>. Each secondary or guardrail metric counts the same
/// way with its own event and filter. CUPED's covariate is each exposed user's number of events
/// of any name in the <see cref="CovariateDays"/> days before their exposure. Overlaps: users of
/// this experiment that another running experiment also exposed.
/// </summary>
public sealed class ExperimentResultsQuery(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    private const int MaxTimelinePoints = 200;
    public const int CovariateDays = 14;

    private sealed class CovariateRow
    {
        public long UserId { get; set; }
        public long Events { get; set; }
    }

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
        var firstConversion = await FirstEventsAsync(db, key, goal, ExperimentJson.Filter(e.GoalFilter), start, end, ct);
        var window = CovariateDays * UtcCalendar.DayMs;
        // Pre-exposure activity per exposed user (0 when none): the index on (UserId, Timestamp) finds each user's events.
        var covariates = await db.Database.SqlQuery<CovariateRow>($"""
            SELECT x."UserId", COUNT(ev."Id") AS "Events"
            FROM "Exposures" AS x
            LEFT JOIN "Events" AS ev ON ev."UserId" = x."UserId" AND ev."Timestamp" >= x."Timestamp" - {window} AND ev."Timestamp" < x."Timestamp"
            WHERE x."ExperimentKey" = {key} AND x."Timestamp" >= {start} AND x."Timestamp" < {end}
            GROUP BY x."UserId"
            """).ToDictionaryAsync(c => c.UserId, c => c.Events, ct);
        var overlaps = await db.Database.SqlQuery<OverlapRow>($"""
            SELECT o."ExperimentKey", COUNT(*) AS "Users"
            FROM "Experiments" AS other
            JOIN "Exposures" AS o ON o."ExperimentKey" = other."Key"
            JOIN "Exposures" AS x ON x."ExperimentKey" = {key} AND x."UserId" = o."UserId"
            WHERE other."State" = 'Running' AND other."Key" <> {key}
            GROUP BY o."ExperimentKey"
            ORDER BY o."ExperimentKey"
            """).ToListAsync(ct);

        var variants = ExperimentJson.Variants(e.Variants);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < variants.Count; i++) index.TryAdd(variants[i].Key, i);
        var exposed = new long[variants.Count];
        var converted = new long[variants.Count];
        var cuped = new CupedArm[variants.Count];
        long unknown = 0;
        var users = new List<(int Variant, long ExposedAt, long? ConvertedAt)>(exposures.Count);
        var counted = new List<(long UserId, int Variant)>(exposures.Count);
        foreach (var x in exposures)
        {
            if (!index.TryGetValue(x.Variant, out var v)) { unknown++; continue; }
            exposed[v]++;
            long? conv = firstConversion.TryGetValue(x.UserId, out var c) ? c : null;
            if (conv is not null) converted[v]++;
            users.Add((v, x.Timestamp, conv));
            counted.Add((x.UserId, v));
            double cx = covariates.GetValueOrDefault(x.UserId), cy = conv is null ? 0 : 1;
            cuped[v] += new CupedArm(1, cy, cx, cx * cx, cx * cy);
        }

        var metrics = new List<MetricResult>();
        foreach (var m in ExperimentJson.Metrics(e.Metrics))
        {
            var did = await FirstEventsAsync(db, key, m.Event, m.Where, start, end, ct);
            var hits = new long[variants.Count];
            foreach (var (userId, v) in counted) if (did.ContainsKey(userId)) hits[v]++;
            metrics.Add(ExperimentMetrics.Report(m, variants, exposed, hits, e.FixedHorizon));
        }

        var daysRunning = e.Start is { } s && e.State != ExperimentState.Draft
            ? Math.Max(0, (Math.Min(now, end) - s) / (double)UtcCalendar.DayMs)
            : 0;
        var analysis = ExperimentAnalysis.Analyse(variants, exposed, converted, e.MinimumDetectableEffect, daysRunning, cuped);
        var warnings = metrics.SelectMany(m => m.Warnings).ToList();
        var verdict = ExperimentVerdict.Describe(e, analysis, now, warnings);
        var timeline = Timeline(e, variants.Count, users, now);

        return new ExperimentResult(e.Key, e.FlagKey, ExperimentJson.State(e.State), e.GoalEvent,
            ExperimentJson.Time(e.Start), ExperimentJson.Time(e.End), e.MinimumDetectableEffect,
            ExperimentView.AnalysisOf(e), analysis.Correction, analysis.Variants, analysis.CupedNote, metrics, warnings, analysis.Srm, analysis.SampleSizePerVariant, analysis.SampleSizeNote, analysis.Progress,
            Math.Round(daysRunning, 2), analysis.DaysLeft, analysis.LeadingVariant, unknown,
            overlaps.Select(o => new ExperimentOverlap(o.ExperimentKey, o.Users)).ToList(), verdict, timeline);
    }

    /// <summary>
    /// Each exposed user's first event of <paramref name="name"/> matching the filter, at or after
    /// their exposure and before the end. The index on (Name, Timestamp) finds the events, the
    /// unique (ExperimentKey, UserId) their exposure.
    /// </summary>
    private static async Task<Dictionary<long, long>> FirstEventsAsync(DashboardDbContext db, string key, string name,
        IReadOnlyDictionary<string, JsonElement> filter, long start, long end, CancellationToken ct)
    {
        var rows = await db.Database.SqlQuery<GoalRow>($"""
            SELECT g."UserId", g."Timestamp", g."Properties"
            FROM "Events" AS g
            JOIN "Exposures" AS x ON x."ExperimentKey" = {key} AND x."UserId" = g."UserId"
            WHERE g."Name" = {name} AND g."Timestamp" >= {start} AND g."Timestamp" < {end}
              AND x."Timestamp" >= {start} AND x."Timestamp" < {end} AND g."Timestamp" >= x."Timestamp"
            """).ToListAsync(ct);
        var first = new Dictionary<long, long>();
        foreach (var g in rows)
        {
            if (!ExperimentJson.Matches(g.Properties, filter)) continue;
            if (!first.TryGetValue(g.UserId, out var at) || g.Timestamp < at) first[g.UserId] = g.Timestamp;
        }
        return first;
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
