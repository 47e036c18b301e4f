using Dashboard.Data;

namespace Dashboard.Analytics.Funnels;

/// <summary>A funnel step: an event name, and property conditions its events must meet (all of them).</summary>
public sealed record FunnelStepSpec(string Event, IReadOnlyList<KeyValuePair<string, string>> Where)
{
    /// <summary>The step as written in <c>steps=</c>: <c>NAME</c> or <c>NAME[key=value]</c>, one bracket per condition.</summary>
    public string Text => Event + string.Concat(Where.Select(w => $"[{w.Key}={w.Value}]"));

    /// <summary>
    /// True when the event's properties meet every condition. Values compare as text: strings as
    /// they are, numbers in invariant form, true/false, a missing property as "(none)".
    /// </summary>
    public bool Matches(string? properties) => Where.All(w => JsonText.Value(properties, w.Key) == w.Value);

    /// <summary>Every event, whatever its name (no step can be written so: a step names an event).</summary>
    public static readonly FunnelStepSpec AnyEvent = new("", []);
}

/// <summary>Reads and writes the step list of <c>steps=</c>: comma-separated steps, each <c>NAME[key=value]…</c>.</summary>
public static class FunnelSteps
{
    /// <summary>Splits at the commas outside brackets.</summary>
    public static List<string> Split(string? value)
    {
        var parts = new List<string>();
        if (string.IsNullOrEmpty(value)) return parts;
        var (depth, start) = (0, 0);
        for (var i = 0; i <= value.Length; i++)
        {
            if (i < value.Length)
            {
                if (value[i] == '[') depth++;
                else if (value[i] == ']' && depth > 0) depth--;
                if (value[i] != ',' || depth > 0) continue;
            }
            var part = value[start..i].Trim();
            if (part.Length > 0) parts.Add(part);
            start = i + 1;
        }
        return parts;
    }

    /// <summary>One step's text; a message instead when it is malformed.</summary>
    public static FunnelStepSpec Parse(string text, out string? error)
    {
        error = null;
        var open = text.IndexOf('[');
        var name = (open < 0 ? text : text[..open]).Trim();
        var where = new List<KeyValuePair<string, string>>();
        if (name.Length == 0) error = $"step '{text}' names no event";
        var rest = open < 0 ? "" : text[open..];
        while (error is null && rest.Length > 0)
        {
            var close = rest.IndexOf(']');
            if (!rest.StartsWith('[') || close < 0)
            {
                error = $"step '{text}': write a condition as [property=value]";
                break;
            }
            var condition = rest[1..close];
            var eq = condition.IndexOf('=');
            if (eq <= 0)
            {
                error = $"step '{text}': the condition '{condition}' needs the form property=value";
                break;
            }
            where.Add(new(condition[..eq].Trim(), condition[(eq + 1)..].Trim()));
            rest = rest[(close + 1)..].TrimStart();
        }
        return new FunnelStepSpec(name, where);
    }

    /// <summary>The steps of a <c>steps=</c> value written back.</summary>
    public static string Join(IEnumerable<string> steps) => string.Join(",", steps);
}
