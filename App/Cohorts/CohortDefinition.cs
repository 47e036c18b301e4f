using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dashboard.Cohorts;

/// <summary>A user trait equal to one of the values (compared as text: numbers and booleans as their JSON text).</summary>
public sealed record TraitCondition(string Trait, IReadOnlyList<string> Values);

/// <summary>The event at least <see cref="AtLeast"/> times in the last <see cref="Days"/> days (the instant exactly that many days ago counts), each with every <see cref="Where"/> property equal.</summary>
public sealed record EventCondition(string Event, IReadOnlyDictionary<string, string> Where, int AtLeast, int Days);

/// <summary>First seen on a UTC day in [From, To], both inclusive.</summary>
public sealed record FirstSeenCondition(DateOnly From, DateOnly To);

/// <summary>
/// What a cohort is: every condition holds (AND). Stored and answered as
/// <c>{ traits: [ { trait, values } ], events: [ { event, where, atLeast, days } ], firstSeen?: { from, to } }</c>.
/// </summary>
public sealed record CohortDefinition(IReadOnlyList<TraitCondition> Traits, IReadOnlyList<EventCondition> Events, FirstSeenCondition? FirstSeen)
{
    public const int MaxConditions = 20;
    public const int MaxDays = 3660;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static CohortDefinition FromJson(string json) =>
        JsonSerializer.Deserialize<CohortDefinition>(json, Json) ?? throw new JsonException("empty cohort definition");

    /// <summary>Reads and checks a definition object from a request; the message of <see cref="CohortDefinitionException"/> names the field.</summary>
    public static CohortDefinition Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new CohortDefinitionException("definition must be an object of { traits?, events?, firstSeen? }");
        var traits = new List<TraitCondition>();
        var events = new List<EventCondition>();
        var i = 0;
        foreach (var t in Array(root, "traits"))
        {
            var path = $"definition.traits[{i++}]";
            if (t.ValueKind != JsonValueKind.Object) throw new CohortDefinitionException($"{path} must be an object of {{ trait, values }}");
            var values = Array(t, "values", path).Select((v, j) => Scalar(v, $"{path}.values[{j}]")).ToList();
            if (values.Count == 0) throw new CohortDefinitionException($"{path}.values must hold at least one value");
            traits.Add(new TraitCondition(Name(t, "trait", path), values));
        }
        i = 0;
        foreach (var e in Array(root, "events"))
        {
            var path = $"definition.events[{i++}]";
            if (e.ValueKind != JsonValueKind.Object) throw new CohortDefinitionException($"{path} must be an object of {{ event, where?, atLeast, days }}");
            var where = new Dictionary<string, string>(StringComparer.Ordinal);
            if (Field(e, "where") is { } w)
            {
                if (w.ValueKind != JsonValueKind.Object) throw new CohortDefinitionException($"{path}.where must be an object of property values");
                foreach (var p in w.EnumerateObject())
                {
                    if (p.Name.Length == 0) throw new CohortDefinitionException($"{path}.where: a property name must not be empty");
                    where[p.Name] = Scalar(p.Value, $"{path}.where.{p.Name}");
                }
            }
            events.Add(new EventCondition(Name(e, "event", path), where, Integer(e, "atLeast", path, 1, 1_000_000), Integer(e, "days", path, 1, MaxDays)));
        }
        FirstSeenCondition? firstSeen = null;
        if (Field(root, "firstSeen") is { } f)
        {
            if (f.ValueKind != JsonValueKind.Object) throw new CohortDefinitionException("definition.firstSeen must be an object of { from, to }");
            var from = Day(f, "from");
            var to = Day(f, "to");
            if (to < from) throw new CohortDefinitionException("definition.firstSeen.to must not be before from");
            firstSeen = new FirstSeenCondition(from, to);
        }
        var count = traits.Count + events.Count + events.Sum(e => e.Where.Count) + (firstSeen is null ? 0 : 1);
        if (traits.Count + events.Count == 0 && firstSeen is null)
            throw new CohortDefinitionException("definition needs at least one condition (traits, events or firstSeen)");
        if (count > MaxConditions) throw new CohortDefinitionException($"definition takes at most {MaxConditions} conditions");
        return new CohortDefinition(traits, events, firstSeen);
    }

    private static JsonElement? Field(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static IEnumerable<JsonElement> Array(JsonElement obj, string name, string path = "definition")
    {
        if (Field(obj, name) is not { } v) return [];
        if (v.ValueKind != JsonValueKind.Array) throw new CohortDefinitionException($"{path}.{name} must be an array");
        return v.EnumerateArray().ToList();
    }

    private static string Name(JsonElement obj, string name, string path) => Field(obj, name) switch
    {
        null => throw new CohortDefinitionException($"{path}.{name} is required"),
        { ValueKind: JsonValueKind.String } s when s.GetString()!.Trim().Length is > 0 and <= 200 => s.GetString()!.Trim(),
        { ValueKind: JsonValueKind.String } => throw new CohortDefinitionException($"{path}.{name}: 1 to 200 characters"),
        _ => throw new CohortDefinitionException($"{path}.{name} must be a string"),
    };

    /// <summary>A value compared as text, as <see cref="Data.JsonText"/> reads stored values.</summary>
    private static string Scalar(JsonElement v, string path) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.Number => v.GetDouble().ToString(CultureInfo.InvariantCulture),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => throw new CohortDefinitionException($"{path} must be a string, number or boolean"),
    };

    private static int Integer(JsonElement obj, string name, string path, int min, int max) => Field(obj, name) switch
    {
        null => throw new CohortDefinitionException($"{path}.{name} is required"),
        { ValueKind: JsonValueKind.Number } n when n.TryGetInt32(out var x) && x >= min && x <= max => x,
        { ValueKind: JsonValueKind.Number } => throw new CohortDefinitionException($"{path}.{name} must be a whole number from {min} to {max}"),
        _ => throw new CohortDefinitionException($"{path}.{name} must be a number"),
    };

    private static DateOnly Day(JsonElement obj, string name) =>
        Field(obj, name) is { ValueKind: JsonValueKind.String } s
        && DateOnly.TryParseExact(s.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d
            : throw new CohortDefinitionException($"definition.firstSeen.{name} is required as a date (YYYY-MM-DD)");
}

public sealed class CohortDefinitionException(string message) : Exception(message);
