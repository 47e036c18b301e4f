using System.Text;
using Dashboard.Data;

namespace Dashboard.Schema;

/// <summary>
/// Renders the taxonomy as the TypeScript discriminated union <c>TelemetryEvent</c>, discriminated by
/// <c>event</c>, so a client that sends an unknown event or a wrong property fails to compile.
/// Event names that differ only in case or punctuation (<c>user_registered</c>, <c>USER-REGISTERED</c>)
/// make the same PascalCase name; in ordinal order of the event names the first keeps it and each
/// later one gets the lowest free number (<c>UserRegistered2Event</c>), so the file always compiles.
/// </summary>
public static class TypeScriptGenerator
{
    public static string Generate(IReadOnlyList<EventDefinition> definitions)
    {
        var sb = new StringBuilder();
        sb.AppendLine("// Generated from the event taxonomy. Do not edit by hand.");
        sb.AppendLine();
        var names = new List<string>();
        foreach (var def in definitions.OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            var typeName = UniqueTypeName(PascalCase(def.Name), names);
            names.Add(typeName);
            if (def.Description.Length > 0) sb.AppendLine($"/** {Comment(def.Description)} */");
            sb.AppendLine($"export interface {typeName} {{");
            sb.AppendLine($"  event: {Quote(def.Name)};");
            sb.AppendLine("  properties: {");
            foreach (var p in def.Properties)
            {
                if (p.Description.Length > 0) sb.AppendLine($"    /** {Comment(p.Description)} */");
                sb.AppendLine($"    {PropertyName(p.Name)}{(p.Required ? "" : "?")}: {TsType(p)};");
            }
            sb.AppendLine("  };");
            sb.AppendLine("  timestamp?: string;");
            sb.AppendLine("}");
            sb.AppendLine();
        }
        sb.AppendLine(names.Count == 0
            ? "export type TelemetryEvent = never;"
            : "export type TelemetryEvent =\n" + string.Join("\n", names.Select(n => $"  | {n}")) + ";");
        sb.AppendLine();
        sb.AppendLine("export type TelemetryEventName = TelemetryEvent['event'];");
        return sb.ToString().ReplaceLineEndings("\n");
    }

    /// <summary>The event type name, numbered when taken (shared with the C# generator, so both clients name an event alike).</summary>
    internal static string UniqueTypeName(string pascal, ICollection<string> taken)
    {
        var name = pascal + "Event";
        for (var n = 2; taken.Contains(name, StringComparer.Ordinal); n++) name = $"{pascal}{n}Event";
        return name;
    }

    private static string TsType(PropertyDefinition p) => p.Type switch
    {
        PropertyType.String => "string",
        PropertyType.Number => "number",
        PropertyType.Boolean => "boolean",
        PropertyType.Enum when p.EnumValues.Count > 0 => string.Join(" | ", p.EnumValues.Select(Quote)),
        _ => "never",
    };

    private static string Quote(string s) => GeneratedSource.Quote(s, '\'');

    /// <summary>Text for a one-line doc comment: it cannot close the comment or break the line.</summary>
    private static string Comment(string s) =>
        new string(s.Replace("*/", "* /").ReplaceLineEndings(" ").Select(c => char.IsControl(c) ? ' ' : c).ToArray());

    private static string PropertyName(string name) =>
        name.Length > 0 && (char.IsLetter(name[0]) || name[0] is '_' or '$') && name.All(c => char.IsLetterOrDigit(c) || c is '_' or '$')
            ? name
            : Quote(name);

    /// <summary>A type name from an event name (shared with the C# generator): <c>checkout.completed</c> → <c>CheckoutCompleted</c>.</summary>
    internal static string PascalCase(string name)
    {
        var sb = new StringBuilder();
        var upper = true;
        foreach (var c in name)
        {
            if (!char.IsLetterOrDigit(c)) { upper = true; continue; }
            sb.Append(upper ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            upper = false;
        }
        if (sb.Length == 0 || char.IsDigit(sb[0])) sb.Insert(0, 'E');
        return sb.ToString();
    }
}
