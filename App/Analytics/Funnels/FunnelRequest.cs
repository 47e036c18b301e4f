using System.Text.Json.Serialization;

namespace Dashboard.Analytics.Funnels;

public sealed record FunnelRequest(IReadOnlyList<string> Steps, DateOnly From, DateOnly To, TimeSpan? Window = null,
    Breakdown? Breakdown = null)
{
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(14);
    public const int MaxSteps = 20;

    /// <summary>
    /// The request from the query-string values <c>steps</c>, <c>window</c>, <c>from</c>, <c>to</c>
    /// and <c>breakdown</c>, as the read API and the funnel page take them; an
    /// <see cref="InsightsParameterException"/> for the first value that cannot be used.
    /// </summary>
    public static FunnelRequest Parse(string? steps, string? window, string? from, string? to, string? breakdown)
    {
        var stepTexts = ParseSteps(steps);
        var range = InsightsParameters.Range(from, to);
        return new FunnelRequest(stepTexts, range.From, range.To,
            InsightsParameters.Duration("window", window, DefaultWindow),
            Analytics.Breakdown.Parse(breakdown, BreakdownSource.EventProperty));
    }

    private static IReadOnlyList<string> ParseSteps(string? value)
    {
        var steps = FunnelSteps.Split(value).Select(s => FunnelSteps.Parse(s, out var error) is var spec && error is null
            ? spec.Text : throw new InsightsParameterException($"'steps': {error}")).ToList();
        if (steps.Count < 2)
            throw new InsightsParameterException("'steps' must name at least two events, comma-separated (steps=A,B)");
        if (steps.Count > MaxSteps)
            throw new InsightsParameterException($"'steps' may name at most {MaxSteps} events");
        return steps;
    }
}

public sealed record FunnelStep(string Event, int Users, double? ConversionFromStart, double? ConversionFromPrevious,
    double? MedianSecondsFromPrevious);

public sealed record FunnelGroup(string Value, IReadOnlyList<FunnelStep> Steps, int OpenWindowUsers);

public sealed record FunnelResult(IReadOnlyList<FunnelStep> Steps, int OpenWindowUsers,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<FunnelGroup>? Breakdown);
