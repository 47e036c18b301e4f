using System.Globalization;
using System.Text.Json;

namespace Dashboard.Data;

/// <summary>Reads one top-level key of a stored JSON object (traits, properties) as a group label.</summary>
public static class JsonText
{
    public const string None = "(none)";

    /// <summary>The top-level keys of <paramref name="current"/> with those of <paramref name="next"/> over them (traits arriving).</summary>
    public static string Patch(string current, string? next)
    {
        if (next is null or "{}") return current;
        if (current == "{}") return next;
        var merged = System.Text.Json.Nodes.JsonNode.Parse(current)!.AsObject();
        foreach (var (k, v) in System.Text.Json.Nodes.JsonNode.Parse(next)!.AsObject()) merged[k] = v?.DeepClone();
        return merged.ToJsonString();
    }

    public static string Value(string? json, string key)
    {
        using var doc = Parse(json);
        return Value(doc?.RootElement, key);
    }

    /// <summary>The object, or null when the text is empty or not JSON; parse once to read several keys.</summary>
    public static JsonDocument? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json)) return null;
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A key of a parsed object as text; <see cref="None"/> when it is missing or null.</summary>
    public static string Value(JsonElement? obj, string key)
    {
        if (obj is not { ValueKind: JsonValueKind.Object } o || !o.TryGetProperty(key, out var v)) return None;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString() ?? None,
            JsonValueKind.Number => v.GetDouble().ToString(CultureInfo.InvariantCulture),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Null or JsonValueKind.Undefined => None,
            _ => v.GetRawText(),
        };
    }

    /// <summary>A key of a parsed object as a number when it is a JSON number (or a string holding one); else null.</summary>
    public static double? Number(JsonElement? obj, string key)
    {
        if (obj is not { ValueKind: JsonValueKind.Object } o || !o.TryGetProperty(key, out var v)) return null;
        if (v.ValueKind == JsonValueKind.Number) return v.GetDouble();
        return v.ValueKind == JsonValueKind.String && double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            && double.IsFinite(d) ? d : null;
    }
}
