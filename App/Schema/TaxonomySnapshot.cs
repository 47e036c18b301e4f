using System.Text.Json;
using Dashboard.Data;

namespace Dashboard.Schema;

public readonly record struct TaxonomyViolation(string Code, string Message);

/// <summary>An immutable view of the taxonomy that ingestion checks events against.</summary>
public sealed class TaxonomySnapshot(IReadOnlyList<EventDefinition> definitions)
{
    private readonly Dictionary<string, EventDefinition> _byName = definitions.ToDictionary(d => d.Name, StringComparer.Ordinal);

    public IReadOnlyList<EventDefinition> Definitions { get; } = definitions;

    /// <summary>
    /// Checks an event against its definition: the name must be known, required properties present
    /// and not null, each defined property of its type, enum values in the list. Properties the
    /// definition does not name are allowed.
    /// </summary>
    public TaxonomyViolation? Check(string name, JsonElement? properties)
    {
        if (!_byName.TryGetValue(name, out var def))
            return new(Ingest.RejectionCodes.UnknownEvent, $"event '{name}' is not in the taxonomy");
        foreach (var p in def.Properties)
        {
            JsonElement value = default;
            var present = properties is { } props && props.TryGetProperty(p.Name, out value) && value.ValueKind != JsonValueKind.Null;
            if (!present)
            {
                if (p.Required) return new(Ingest.RejectionCodes.MissingProperty, $"required property '{p.Name}' is missing");
                continue;
            }
            var ok = p.Type switch
            {
                PropertyType.String => value.ValueKind == JsonValueKind.String,
                PropertyType.Number => value.ValueKind == JsonValueKind.Number,
                PropertyType.Boolean => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
                PropertyType.Enum => value.ValueKind == JsonValueKind.String,
                _ => false,
            };
            if (!ok)
                return new(Ingest.RejectionCodes.WrongPropertyType, $"property '{p.Name}' must be {Describe(p.Type)}, not {Describe(value.ValueKind)}");
            if (p.Type == PropertyType.Enum && !p.EnumValues.Contains(value.GetString()!))
                return new(Ingest.RejectionCodes.NotInEnum, $"property '{p.Name}' must be one of {string.Join(", ", p.EnumValues.Select(v => $"'{v}'"))}, not '{value.GetString()}'");
        }
        return null;
    }

    private static string Describe(PropertyType t) => t switch
    {
        PropertyType.String => "a string",
        PropertyType.Number => "a number",
        PropertyType.Boolean => "a boolean",
        _ => "a string from the enum",
    };

    private static string Describe(JsonValueKind k) => k switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };
}
