using System.Globalization;
using System.Text.Json;
using Dashboard.Data;

namespace Dashboard.Analytics.Experiments;

/// <summary>A variant of an experiment's flag and its weight in percent; the first one is control.</summary>
public sealed record ExperimentVariant(string Key, double Weight);

/// <summary>
/// A secondary or guardrail metric: the share of exposed users who did <c>event</c> (matching
/// <c>where</c>) at or after their exposure and before the end. <c>direction</c> is the way it
/// should move; a guardrail that moves the other way significantly is a warning.
/// </summary>
public sealed record ExperimentMetric(string Event, IReadOnlyDictionary<string, JsonElement> Where, string Kind, string Direction)
{
    public const string Secondary = "secondary", Guardrail = "guardrail", Increase = "increase", Decrease = "decrease";

    /// <summary>The event a new experiment guards by default, when the taxonomy defines it.</summary>
    public const string ErrorEvent = "APP_ERROR";

    public static ExperimentMetric ErrorGuardrail => new(ErrorEvent, new Dictionary<string, JsonElement>(), Guardrail, Decrease);
}

/// <summary>An experiment as the API shows it. Times are ISO-8601 UTC; <c>state</c> is draft, running or stopped; <c>analysis</c> sequential or fixedHorizon.</summary>
public sealed record ExperimentView(
    string Key,
    string FlagKey,
    string Hypothesis,
    IReadOnlyList<ExperimentVariant> Variants,
    string GoalEvent,
    IReadOnlyDictionary<string, JsonElement> GoalFilter,
    DateTimeOffset? Start,
    DateTimeOffset? End,
    double MinimumDetectableEffect,
    string Analysis,
    IReadOnlyList<ExperimentMetric> Metrics,
    string State,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public const string Sequential = "sequential", FixedHorizon = "fixedHorizon";

    public static string AnalysisOf(ExperimentRecord e) => e.FixedHorizon ? FixedHorizon : Sequential;

    public static ExperimentView From(ExperimentRecord e) => new(
        e.Key, e.FlagKey, e.Hypothesis, ExperimentJson.Variants(e.Variants), e.GoalEvent, ExperimentJson.Filter(e.GoalFilter),
        ExperimentJson.Time(e.Start), ExperimentJson.Time(e.End), e.MinimumDetectableEffect, AnalysisOf(e), ExperimentJson.Metrics(e.Metrics),
        ExperimentJson.State(e.State), DateTimeOffset.FromUnixTimeMilliseconds(e.CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(e.UpdatedAt));
}

/// <summary>Reads the JSON columns of experiments and flags, and matches goal events against the property filter.</summary>
public static class ExperimentJson
{
    public static string State(ExperimentState s) => s.ToString().ToLowerInvariant();

    public static DateTimeOffset? Time(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;

    /// <summary><c>[{ "key", "weight" }]</c>; anything unreadable gives an empty list.</summary>
    public static List<ExperimentVariant> Variants(string? json)
    {
        var list = new List<ExperimentVariant>();
        if (string.IsNullOrWhiteSpace(json)) return list;
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) return list;
            foreach (var v in doc.RootElement.EnumerateArray())
            {
                if (v.ValueKind != JsonValueKind.Object) continue;
                if (!v.TryGetProperty("key", out var k) || k.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(k.GetString())) continue;
                var weight = v.TryGetProperty("weight", out var w) && w.ValueKind == JsonValueKind.Number ? w.GetDouble() : 0;
                list.Add(new ExperimentVariant(k.GetString()!, weight));
            }
        }
        catch (JsonException)
        {
        }
        return list;
    }

    public static string VariantsJson(IEnumerable<ExperimentVariant> variants) =>
        JsonSerializer.Serialize(variants.Select(v => new { key = v.Key, weight = v.Weight }));

    /// <summary><c>[{ "event", "where"?, "kind", "direction" }]</c> as stored (validated on save); anything unreadable is left out.</summary>
    public static List<ExperimentMetric> Metrics(string? json)
    {
        var list = new List<ExperimentMetric>();
        if (string.IsNullOrWhiteSpace(json)) return list;
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) return list;
            foreach (var m in doc.RootElement.EnumerateArray())
            {
                if (m.ValueKind != JsonValueKind.Object) continue;
                string? Text(string name) => m.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                if (Text("event") is not { Length: > 0 } name) continue;
                var where = m.TryGetProperty("where", out var w) ? Filter(w.GetRawText()) : new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                list.Add(new ExperimentMetric(name, where, Text("kind") ?? ExperimentMetric.Secondary, Text("direction") ?? ExperimentMetric.Increase));
            }
        }
        catch (JsonException)
        {
        }
        return list;
    }

    public static string MetricsJson(IEnumerable<ExperimentMetric> metrics) =>
        JsonSerializer.Serialize(metrics.Select(m => new { @event = m.Event, where = m.Where, kind = m.Kind, direction = m.Direction }));

    /// <summary>The goal filter <c>{ "prop": value }</c>; values are strings, numbers or booleans.</summary>
    public static Dictionary<string, JsonElement> Filter(string? json)
    {
        var filter = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(json)) return filter;
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return filter;
            foreach (var p in doc.RootElement.EnumerateObject()) filter[p.Name] = p.Value.Clone();
        }
        catch (JsonException)
        {
        }
        return filter;
    }

    /// <summary>True when every key of the filter is in the event's properties with an equal value (numbers compare by value).</summary>
    public static bool Matches(string? propertiesJson, IReadOnlyDictionary<string, JsonElement> filter)
    {
        if (filter.Count == 0) return true;
        if (string.IsNullOrEmpty(propertiesJson)) return false;
        try
        {
            using var doc = JsonDocument.Parse(propertiesJson);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return false;
            foreach (var (name, wanted) in filter)
            {
                if (!doc.RootElement.TryGetProperty(name, out var actual) || !SameValue(actual, wanted)) return false;
            }
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool SameValue(JsonElement a, JsonElement b) => (a.ValueKind, b.ValueKind) switch
    {
        (JsonValueKind.String, JsonValueKind.String) => a.GetString() == b.GetString(),
        (JsonValueKind.Number, JsonValueKind.Number) => a.GetDouble() == b.GetDouble(),
        (JsonValueKind.True, JsonValueKind.True) or (JsonValueKind.False, JsonValueKind.False) => true,
        _ => false,
    };

    /// <summary>The filter in words, e.g. <c>templateUsed = kanban</c>.</summary>
    public static string Describe(IReadOnlyDictionary<string, JsonElement> filter) =>
        string.Join(", ", filter.Select(f => $"{f.Key} = {(f.Value.ValueKind == JsonValueKind.String ? f.Value.GetString() : f.Value.GetRawText())}"));

    public static string Number(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
