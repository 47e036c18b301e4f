using System.Text.Json.Serialization;

namespace Dashboard.Analytics.Funnels;

/// <summary>How the steps follow one another: ordered (other events may come between) or strict (none may).</summary>
public enum FunnelOrder { Ordered, Strict }

public sealed record FunnelRequest(IReadOnlyList<string> Steps, DateOnly From, DateOnly To, TimeSpan? Window = null,
    Breakdown? Breakdown = null, IReadOnlyList<string>? Exclude = null, FunnelOrder Order = FunnelOrder.Ordered,
    bool TimeToConvert = false, bool Trend = false)
{
    /// <summary>Only this cohort's members start the funnel (<c>cohort=KEY</c>).</summary>
    public string? Cohort { get; init; }

    public static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(14);
    public const int MaxSteps = 20;

    /// <summary>
    /// The request from the query-string values <c>steps</c>, <c>window</c>, <c>from</c>, <c>to</c>
    /// <c>breakdown</c>, <c>exclude</c>, <c>order</c> and <c>include</c> (timeToConvert, trend), as
    /// the read API and the funnel page take them; an <see cref="InsightsParameterException"/> for
    /// the first value that cannot be used.
    /// </summary>
    public static FunnelRequest Parse(string? steps, string? window, string? from, string? to, string? breakdown,
        string? exclude = null, string? order = null, string? include = null)
    {
        var stepTexts = ParseSteps(steps);
        var range = InsightsParameters.Range(from, to);
        var parts = (include ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.FirstOrDefault(p => p is not ("timeToConvert" or "trend")) is { } unknown)
            throw new InsightsParameterException($"'include' takes timeToConvert and trend, not '{unknown}'");
        return new FunnelRequest(stepTexts, range.From, range.To,
            InsightsParameters.Duration("window", window, DefaultWindow),
            Analytics.Breakdown.Parse(breakdown, BreakdownSource.EventProperty),
            // The contract answers time to convert on every funnel; include=timeToConvert is accepted and changes nothing.
            ParseExclude(exclude, stepTexts), ParseOrder(order), TimeToConvert: true, Trend: parts.Contains("trend"));
    }

    /// <summary>Exclusion events like steps (<c>NAME[key=value]</c>); none may be written exactly as a step.</summary>
    private static IReadOnlyList<string>? ParseExclude(string? value, IReadOnlyList<string> steps)
    {
        if (value is null) return null;
        var exclude = Texts("exclude", value).Distinct().ToList();
        if (exclude.Count == 0) throw new InsightsParameterException("'exclude' names no event (exclude=E or exclude=E[key=value],F)");
        if (exclude.Count > MaxSteps) throw new InsightsParameterException($"'exclude' may name at most {MaxSteps} events");
        if (exclude.FirstOrDefault(steps.Contains) is { } both)
            throw new InsightsParameterException($"'exclude': '{both}' is also a step");
        return exclude;
    }

    /// <summary>The steps of a list written like <c>steps=</c>, each as its canonical text.</summary>
    private static List<string> Texts(string parameter, string? value) =>
        FunnelSteps.Split(value).Select(s => FunnelSteps.Parse(s, out var error) is var spec && error is null
            ? spec.Text : throw new InsightsParameterException($"'{parameter}': {error}")).ToList();

    private static FunnelOrder ParseOrder(string? value) => value switch
    {
        null or "" or "ordered" => FunnelOrder.Ordered,
        "strict" => FunnelOrder.Strict,
        _ => throw new InsightsParameterException($"'order' must be ordered or strict, not '{value}'"),
    };

    private static IReadOnlyList<string> ParseSteps(string? value)
    {
        var steps = Texts("steps", value);
        if (steps.Count < 2)
            throw new InsightsParameterException("'steps' must name at least two events, comma-separated (steps=A,B)");
        if (steps.Count > MaxSteps)
            throw new InsightsParameterException($"'steps' may name at most {MaxSteps} events");
        return steps;
    }
}

public sealed record FunnelStep(string Event, int Users, double? ConversionFromStart, double? ConversionFromPrevious,
    double? MedianSecondsFromPrevious,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] FunnelTimeToConvert? TimeToConvert = null);

/// <summary>Seconds from the previous step: nearest-rank percentiles and users per bucket (UpToSeconds null: beyond the last edge).</summary>
public sealed record FunnelTimeToConvert(double? P50, double? P90, IReadOnlyList<FunnelTimeBucket> Histogram);

public sealed record FunnelTimeBucket(long? UpToSeconds, int Users);

/// <summary>Users whose best attempt started in the ISO week beginning <c>Week</c> (a Monday), and those of them who finished.</summary>
public sealed record FunnelWeek(DateOnly Week, int Started, int Converted, double? Rate);

public sealed record FunnelGroup(string Value, IReadOnlyList<FunnelStep> Steps, int OpenWindowUsers);

public sealed record FunnelResult(IReadOnlyList<FunnelStep> Steps, int OpenWindowUsers,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<FunnelGroup>? Breakdown,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<FunnelWeek>? Trend = null);

/// <summary>Who a funnel people list holds at step k: those who reached it, or those who reached step k − 1 and went no further.</summary>
public enum FunnelOutcome { Converted, Dropped }

/// <summary>One person behind a funnel step: their id, the steps their best attempt reached, when it started and when it reached its last step.</summary>
public sealed record FunnelPerson(string Id, int ReachedSteps, DateTimeOffset StartedAt, DateTimeOffset LastStepAt);

/// <summary>A page of a funnel step's people; <c>Next</c> is the position after the last one (null on the last page).</summary>
public sealed record FunnelPeoplePage(IReadOnlyList<FunnelPerson> People, (long StartMs, long UserId)? Next);

/// <summary>The read API's answer for a funnel step's people.</summary>
public sealed record FunnelPeopleResult(int Step, string Outcome, IReadOnlyList<FunnelPerson> People, string? NextCursor);
