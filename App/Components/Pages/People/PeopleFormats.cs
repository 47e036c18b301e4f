using System.Globalization;
using System.Text.Json;

namespace Dashboard.Components.Pages.People;

/// <summary>How the people pages write traits and times: a string as it is, anything else as JSON; times in UTC.</summary>
public static class PeopleFormats
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string Value(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : value.GetRawText();

    public static IEnumerable<(string Name, string Value)> Traits(JsonElement traits) =>
        traits.ValueKind == JsonValueKind.Object ? traits.EnumerateObject().Select(p => (p.Name, Value(p.Value))) : [];

    public static string Json(JsonElement value) => JsonSerializer.Serialize(value, Indented);

    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    public static string Href(string id) => "people/" + Uri.EscapeDataString(id);
}
