using Dashboard.Analytics.WeeklyReview;
using Dashboard.Components.Pages.Analytics;

namespace Dashboard.Digest;

/// <summary>
/// One tile of the weekly review as the digest writes it: its title, the figure this week and the
/// comparison with the week before. <see cref="Comparable"/> false: the comparison is replaced by
/// <see cref="Detail"/>'s explanation, as on the page.
/// </summary>
public sealed record ReviewFigure(string Title, Change Change, bool IsRate = false, string? Detail = null,
    bool Comparable = true, bool HigherIsBetter = true)
{
    public string Value => Formats.Value(Change.Current, IsRate);

    /// <summary>↑ +3 (+12.5%) vs 24, or the reason there is no comparison.</summary>
    public string Comparison => Comparable ? Formats.Comparison(Change, IsRate) : $"not comparable yet ({Formats.Value(Change.Previous, IsRate)} last week)";

    /// <summary>1 up, −1 down, 0 no change, null no comparison.</summary>
    public int? Direction => Comparable ? Formats.Direction(Change) : null;

    /// <summary>True when the direction is the good one (up for most figures).</summary>
    public bool? Good => Direction is { } d && d != 0 ? d > 0 == HigherIsBetter : null;
}

/// <summary>The weekly review's tiles, in the page's order; a new figure is one more line here.</summary>
public static class ReviewFigures
{
    public static IReadOnlyList<ReviewFigure> Of(WeeklyReviewResult r) =>
    [
        new("Active users", r.ActiveUsers),
        new("New users", r.NewUsers),
        new("Activation rate", r.ActivationRate, IsRate: true,
            Detail: (r.ActivationComparable ? "" : "Most windows still open. ")
                    + $"{r.Activation.Activated} of {r.Activation.SignedUp} signed up; {r.Activation.Pending} pending",
            Comparable: r.ActivationComparable),
        new("Retention, week 4", r.Retention, IsRate: true,
            Detail: $"{r.RetainedCohort.Active} of {r.RetainedCohort.Users} who started {Formats.Range(r.RetainedCohort.CohortFrom, r.RetainedCohort.CohortTo)}"),
        new("Events", r.Events),
    ];
}
