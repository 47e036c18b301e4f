using System.Globalization;

namespace Dashboard.Flags;

/// <summary>A change between two states of a flag, in words, one line per field that changed.</summary>
public static class FlagDiff
{
    public static IReadOnlyList<string> Describe(FlagState? before, FlagState? after)
    {
        var lines = new List<string>();
        if (after is null) return lines;
        if (before is null)
        {
            lines.Add($"Created: {Summary(after)}");
            return lines;
        }
        if (before.Enabled != after.Enabled) lines.Add($"Enabled: {OnOff(before.Enabled)} → {OnOff(after.Enabled)}");
        if (before.RolloutPercent != after.RolloutPercent) lines.Add($"Rollout: {Percent(before.RolloutPercent)} → {Percent(after.RolloutPercent)}");
        var rb = Rules(before);
        var ra = Rules(after);
        if (rb != ra) lines.Add($"Rules: {rb} → {ra}");
        var vb = Variants(before);
        var va = Variants(after);
        if (vb != va) lines.Add($"Variants: {vb} → {va}");
        if (before.Description != after.Description) lines.Add($"Description: “{before.Description}” → “{after.Description}”");
        if (before.Owner != after.Owner) lines.Add($"Owner: “{before.Owner}” → “{after.Owner}”");
        return lines;
    }

    public static string Summary(FlagState s) =>
        $"{OnOff(s.Enabled)}, rollout {Percent(s.RolloutPercent)}, rules {Rules(s)}, variants {Variants(s)}";

    public static string Percent(decimal p) => p.ToString("0.##", CultureInfo.InvariantCulture) + " %";

    public static string Rule(FlagRule r) =>
        $"{r.Attribute} {r.Operator} {string.Join(", ", r.Values)} → {(r.Value ? r.Variant ?? "on" : "off")}";

    private static string OnOff(bool b) => b ? "on" : "off";

    private static string Rules(FlagState s) => s.Rules.Count == 0 ? "none" : string.Join("; ", s.Rules.Select(Rule));

    private static string Variants(FlagState s) => s.Variants.Count == 0
        ? "none"
        : string.Join(", ", s.Variants.Select(v => $"{v.Key} {v.Weight.ToString("0.##", CultureInfo.InvariantCulture)} %"));
}
