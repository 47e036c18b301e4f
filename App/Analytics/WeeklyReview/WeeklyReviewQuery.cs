using Dashboard.Analytics.Activation;
using Dashboard.Analytics.Activity;
using Dashboard.Analytics.Engagement;

namespace Dashboard.Analytics.WeeklyReview;

/// <summary>A figure this period and the period before, with the change between them.</summary>
public sealed record Change(double? Current, double? Previous)
{
    /// <summary>current − previous; null when either is unknown.</summary>
    public double? Delta => Current is { } c && Previous is { } p ? c - p : null;

    /// <summary>(current − previous) / previous; null when previous is 0 or unknown.</summary>
    public double? Relative => Current is { } c && Previous is { } p && p != 0 ? (c - p) / p : null;
}

public sealed record ReviewFeature(string FeatureName, int Users, int PreviousUsers, double? Adoption, long Events,
    IReadOnlyList<FeatureWeek> Trend);

public sealed record WeeklyReviewResult(
    DateOnly From, DateOnly To, DateOnly PreviousFrom, DateOnly PreviousTo,
    Change ActiveUsers, Change Events, Change NewUsers, Change ActivationRate, Change Retention,
    ActivationResult Activation, ActivationResult PreviousActivation,
    CohortActivity RetainedCohort, CohortActivity PreviousRetainedCohort,
    IReadOnlyList<ActivityPoint> Daily, IReadOnlyList<NewUsersDay> NewUsersDaily,
    IReadOnlyList<ReviewFeature> TopFeatures, IReadOnlyList<ReviewFeature> UnusedFeatures)
{
    /// <summary>True when nothing happened in either period: the page shows its empty state.</summary>
    public bool IsEmpty => ActiveUsers.Current == 0 && ActiveUsers.Previous == 0;

    /// <summary>
    /// False while most of the period's signups are still inside their activation window: the rate
    /// then rests on the few whose window has closed and on early activators, so it is not compared.
    /// </summary>
    public bool ActivationComparable => Activation.Pending * 2 <= Activation.SignedUp;
}

/// <summary>
/// The weekly review: the 7 full UTC days ending on <c>end</c> (default yesterday, so the default is
/// the SPEC's "last 7 full days") against the 7 days before. It composes the read API's queries:
/// active users = distinct identities with an event in the period (the feature query's active
/// users), events and the daily sparklines from the activity query (28 days ending on <c>end</c>),
/// activation (default events and window) of the users who signed up in each period, features by
/// users (the top ones, and the unused ones: under the adoption threshold, or seen in the last 8
/// weeks but not in the period, adoption 0). New users = first event ever in the period. Retention =
/// share of the users who first came 4 weeks earlier (the 7 days ending 28 days before the period's
/// end) with an event in the period. The independent queries run concurrently.
/// </summary>
public sealed class WeeklyReviewQuery(ActivityQuery activity, ActivationQuery activation,
    FeatureEngagementQuery features, NewUsersQuery newUsers, TimeProvider clock)
{
    public const int TopFeatureCount = 5;
    public const int SparklineDays = 28;
    public const int TrendWeeks = 8;

    /// <summary>The last full UTC day: the default end of the review.</summary>
    public DateOnly Yesterday => DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime).AddDays(-1);

    public async Task<WeeklyReviewResult> RunAsync(DateOnly? end = null, CancellationToken ct = default)
    {
        var to = end ?? Yesterday;
        var from = to.AddDays(-6);
        var (previousFrom, previousTo) = (from.AddDays(-7), to.AddDays(-7));

        // Each on a thread pool thread of its own: SQLite's reads complete synchronously, so the
        // queries would otherwise run one after the other on the caller's thread.
        var featureRanges = Task.Run(() => features.RunAsync([(from, to), (previousFrom, previousTo), (to.AddDays(-7 * TrendWeeks + 1), to)], ct), ct);
        var daily = Task.Run(() => activity.RunAsync(to.AddDays(-SparklineDays + 1), to, ActivityInterval.Day, ct), ct);
        var newDaily = Task.Run(() => newUsers.PerDayAsync(to.AddDays(-SparklineDays + 1), to, ct), ct);
        var activations = Task.Run(() => activation.RunAsync([new ActivationRequest(from, to), new ActivationRequest(previousFrom, previousTo)], ct), ct);
        var retainedNow = Task.Run(() => newUsers.ActivityAsync(from.AddDays(-28), to.AddDays(-28), from, to, ct), ct);
        var retainedBefore = Task.Run(() => newUsers.ActivityAsync(previousFrom.AddDays(-28), previousTo.AddDays(-28), previousFrom, previousTo, ct), ct);
        await Task.WhenAll(featureRanges, daily, newDaily, activations, retainedNow, retainedBefore);

        var days = daily.Result.Points;
        long EventsIn(DateOnly a, DateOnly b) => days.Where(p => p.Start >= a && p.Start <= b).Sum(p => p.Events);
        int NewIn(DateOnly a, DateOnly b) => newDaily.Result.Where(d => d.Day >= a && d.Day <= b).Sum(d => d.Users);

        var (now, featuresBefore, featureTrend) = (featureRanges.Result[0], featureRanges.Result[1], featureRanges.Result[2]);
        var before = featuresBefore.Features.ToDictionary(f => f.FeatureName, f => f.Users, StringComparer.Ordinal);
        var trend = featureTrend.Features.ToDictionary(f => f.FeatureName, f => f.Trend, StringComparer.Ordinal);
        ReviewFeature Review(FeatureUsage f) => new(f.FeatureName, f.Users, before.GetValueOrDefault(f.FeatureName), f.Adoption,
            f.Events, trend.GetValueOrDefault(f.FeatureName) ?? []);

        var top = now.Features.Where(f => !f.Unused).Take(TopFeatureCount).Select(Review).ToList();
        var seenNow = now.Features.Select(f => f.FeatureName).ToHashSet(StringComparer.Ordinal);
        var unused = now.Features.Where(f => f.Unused).Select(Review)
            .Concat(featureTrend.Features.Where(f => !seenNow.Contains(f.FeatureName))
                .Select(f => new ReviewFeature(f.FeatureName, 0, before.GetValueOrDefault(f.FeatureName),
                    now.ActiveUsers == 0 ? null : 0, 0, f.Trend)))
            .OrderBy(f => f.Users).ThenBy(f => f.FeatureName, StringComparer.Ordinal)
            .ToList();

        var (a, b) = (activations.Result[0], activations.Result[1]);
        return new WeeklyReviewResult(from, to, previousFrom, previousTo,
            new Change(now.ActiveUsers, featuresBefore.ActiveUsers),
            new Change(EventsIn(from, to), EventsIn(previousFrom, previousTo)),
            new Change(NewIn(from, to), NewIn(previousFrom, previousTo)),
            new Change(a.Rate, b.Rate),
            new Change(retainedNow.Result.Rate, retainedBefore.Result.Rate),
            a, b, retainedNow.Result, retainedBefore.Result,
            days, newDaily.Result, top, unused);
    }
}
