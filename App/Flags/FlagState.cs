using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Dashboard.Data;

namespace Dashboard.Flags;

/// <summary>
/// A targeting rule on one attribute of the evaluation context (or the user's stored traits):
/// <c>equals</c> one value or <c>in</c> a list. A match serves <see cref="Value"/> (true: on, false: off);
/// on a flag with variants, <see cref="Variant"/> forces a variant, else the user's hashed variant is served.
/// </summary>
public sealed record FlagRule(string Attribute, string Operator, IReadOnlyList<string> Values, bool Value = true, string? Variant = null);

/// <summary>A variant and its weight in percent (two decimals).</summary>
public sealed record FlagVariant(string Key, decimal Weight);

/// <summary>
/// A flag's editable state: what the admin page and <c>PUT /api/flags/{key}</c> send, what the audit log
/// stores before and after a change, and what a restore brings back.
/// </summary>
public sealed record FlagState(string Key, string Description, string Owner, bool Enabled, decimal RolloutPercent,
    IReadOnlyList<FlagRule> Rules, IReadOnlyList<FlagVariant> Variants)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public const string EqualsOperator = "equals";
    public const string InOperator = "in";

    /// <summary>The value a flag with variants serves when it is off (reserved: no variant may be called so).</summary>
    public const string OffVariant = "off";

    private static readonly Regex KeyPattern = new("^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$", RegexOptions.CultureInvariant);

    public static FlagState FromRecord(FlagRecord r) => new(r.Key, r.Description, r.Owner, r.Enabled, r.RolloutBasisPoints / 100m,
        JsonSerializer.Deserialize<List<FlagRule>>(r.Rules, Json) ?? [],
        JsonSerializer.Deserialize<List<FlagVariant>>(r.Variants, Json) ?? []);

    public void ApplyTo(FlagRecord r)
    {
        r.Description = Description;
        r.Owner = Owner;
        r.Enabled = Enabled;
        r.RolloutBasisPoints = (int)(RolloutPercent * 100);
        r.Rules = JsonSerializer.Serialize(Rules, Json);
        r.Variants = JsonSerializer.Serialize(Variants, Json);
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static FlagState? FromJson(string? json) => json is null ? null : JsonSerializer.Deserialize<FlagState>(json, Json);

    /// <summary>Trims text and drops empty rule values, so what is validated is what is stored.</summary>
    public FlagState Normalized() => this with
    {
        Key = Key.Trim(),
        Description = (Description ?? "").Trim(),
        Owner = (Owner ?? "").Trim(),
        Rules = (Rules ?? []).Select(r => r with
        {
            Attribute = (r.Attribute ?? "").Trim(),
            Operator = (r.Operator ?? "").Trim().ToLowerInvariant(),
            Values = (r.Values ?? []).Select(v => (v ?? "").Trim()).Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).ToList(),
            Variant = string.IsNullOrWhiteSpace(r.Variant) ? null : r.Variant.Trim(),
        }).ToList(),
        Variants = (Variants ?? []).Select(v => v with { Key = (v.Key ?? "").Trim() }).ToList(),
    };

    /// <summary>Every reason the state cannot be saved, in words; empty when it can.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!KeyPattern.IsMatch(Key ?? ""))
            errors.Add("The key must be 1 to 100 characters: letters, digits, '_', '-' or '.', starting with a letter or digit.");
        if ((Description ?? "").Length > 500) errors.Add("The description is longer than 500 characters.");
        if ((Owner ?? "").Length > 100) errors.Add("The owner is longer than 100 characters.");
        if (RolloutPercent is < 0 or > 100) errors.Add("The rollout must be between 0 and 100 percent.");
        else if (decimal.Round(RolloutPercent, 2) != RolloutPercent) errors.Add("The rollout takes at most two decimals.");
        var variantKeys = (Variants ?? []).Select(v => v.Key).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < (Rules ?? []).Count; i++)
        {
            var r = Rules![i];
            var n = i + 1;
            if (string.IsNullOrWhiteSpace(r.Attribute) || r.Attribute.Length > 100) errors.Add($"Rule {n}: the attribute must be 1 to 100 characters.");
            if (r.Operator is not (EqualsOperator or InOperator)) errors.Add($"Rule {n}: the operator must be 'equals' or 'in'.");
            if (r.Values is null || r.Values.Count == 0) errors.Add($"Rule {n}: give at least one value.");
            else if (r.Operator == EqualsOperator && r.Values.Count > 1) errors.Add($"Rule {n}: 'equals' takes one value; use 'in' for a list.");
            else if (r.Values.Count > 1000 || r.Values.Any(v => v.Length > 200)) errors.Add($"Rule {n}: at most 1000 values of at most 200 characters.");
            if (r.Variant is not null && !variantKeys.Contains(r.Variant)) errors.Add($"Rule {n}: the variant '{r.Variant}' is not one of the flag's variants.");
            if (r.Variant is not null && !r.Value) errors.Add($"Rule {n}: a rule that turns the flag off serves no variant.");
        }
        if ((Rules ?? []).Count > 50) errors.Add("A flag takes at most 50 rules.");
        var variants = Variants ?? [];
        if (variants.Count > 0)
        {
            if (variants.Count == 1) errors.Add("Give at least two variants, or none.");
            if (variants.Count > 20) errors.Add("A flag takes at most 20 variants.");
            if (variants.Any(v => !KeyPattern.IsMatch(v.Key ?? "") || v.Key == OffVariant))
                errors.Add("Variant keys must be 1 to 100 characters: letters, digits, '_', '-' or '.'; 'off' is reserved.");
            if (variantKeys.Count != variants.Count) errors.Add("Variant keys must be unique.");
            if (variants.Any(v => v.Weight <= 0 || decimal.Round(v.Weight, 2) != v.Weight))
                errors.Add("Variant weights must be above 0 with at most two decimals.");
            else if (variants.Sum(v => v.Weight) != 100)
                errors.Add($"Variant weights must sum to 100 (they sum to {variants.Sum(v => v.Weight).ToString(CultureInfo.InvariantCulture)}).");
        }
        return errors;
    }

    /// <summary>Fully on: enabled, 100%, and no rule that turns anyone off.</summary>
    public bool FullyOn => Enabled && RolloutPercent == 100 && Rules.All(r => r.Value);

    public FlagStatus Status =>
        !Enabled ? FlagStatus.Off
        : Rules.Count > 0 ? FlagStatus.Targeted
        : RolloutPercent == 100 ? FlagStatus.On
        : RolloutPercent == 0 ? FlagStatus.Off
        : FlagStatus.Percentage;
}

/// <summary>A flag's state at a glance, as the list shows it.</summary>
public enum FlagStatus { Off, On, Percentage, Targeted }
