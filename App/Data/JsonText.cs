using System.Globalization;
using System.Text.Json;

namespace Dashboard.Data;

/// <summary>Reads one top-level key of a stored JSON object (traits, properties) as a group label.</summary>
public static class JsonText
{
    public const string None = "(none)";

    public static string Value(string? json, string key)
    {
        if (string.IsNullOrEmpty(json)) return None;
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty(key, out var v)) return None;
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
        catch (JsonException)
        {
            return None;
        }
    }
}
