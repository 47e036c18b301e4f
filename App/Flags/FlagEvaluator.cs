
namespace Dashboard.Flags;

/// <summary>Why an evaluation gave its value, in OpenFeature's words.</summary>
public enum EvaluationReason { Disabled, TargetingMatch, Split, TargetingKeyMissing }

/// <summary>
/// What an evaluation answers: on or off, the variant served (null when off or for a flag without
/// variants), and why. The OFREP value is <see cref="On"/> for a boolean flag and the variant key
/// (or "off") for a flag with variants.
/// </summary>
public readonly record struct Evaluation(bool On, string? Variant, EvaluationReason Reason)
{
    /// <summary>The variant as OFREP names it: the variant served, "on" for a boolean flag that is on, else "off".</summary>
    public string VariantName(CompiledFlag flag) => Variant ?? (On && !flag.HasVariants ? "on" : FlagState.OffVariant);

    /// <summary>The reason in OpenFeature's words.</summary>
    public string ReasonName => Reason switch
    {
        EvaluationReason.Disabled => "DISABLED",
        EvaluationReason.TargetingMatch => "TARGETING_MATCH",
        EvaluationReason.TargetingKeyMissing => "TARGETING_KEY_MISSING",
        _ => "SPLIT",
    };
}

/// <summary>
/// Who is asking: the targeting key (the user id that is bucketed) and attributes such as
/// <c>cohort</c> or <c>plan</c>. <paramref name="Fallback"/> answers attributes the caller did not send,
/// e.g. the traits stored from <c>identify</c> calls.
/// </summary>
public readonly record struct EvaluationContext(
    string TargetingKey,
    IReadOnlyDictionary<string, string>? Attributes = null,
    IReadOnlyDictionary<string, string>? Fallback = null)
{
    public string? Attribute(string name) =>
        Attributes?.GetValueOrDefault(name) ?? Fallback?.GetValueOrDefault(name);
}

/// <summary>
/// A flag made ready for evaluation: the UTF-8 hash prefixes, the rollout threshold and the
/// variants' cumulative thresholds in basis points, rule values in sets. Immutable.
/// </summary>
public sealed class CompiledFlag
{
    public FlagState State { get; }
    public string Key => State.Key;
    internal readonly byte[] RolloutPrefix, VariantPrefix;
    internal readonly int RolloutBasisPoints;
    internal readonly string[] VariantKeys;
    internal readonly int[] VariantThresholds;
    internal readonly CompiledRule[] Rules;

    public CompiledFlag(FlagState state)
    {
        State = state;
        RolloutPrefix = Bucketing.RolloutPrefix(state.Key);
        VariantPrefix = Bucketing.VariantPrefix(state.Key);
        RolloutBasisPoints = (int)(state.RolloutPercent * 100);
        VariantKeys = state.Variants.Select(v => v.Key).ToArray();
        VariantThresholds = new int[VariantKeys.Length];
        var cumulative = 0;
        for (var i = 0; i < VariantKeys.Length; i++)
        {
            cumulative += (int)(state.Variants[i].Weight * 100);
            VariantThresholds[i] = cumulative;
        }
        Rules = state.Rules.Select(CompiledRule.From).ToArray();
    }

    public bool HasVariants => VariantKeys.Length > 0;

    internal enum RuleOperator { Equals, In }

    /// <summary>A rule with its operator as a type, not text: <c>equals</c> compares with its one value, <c>in</c> looks its values up in a set.</summary>
    internal sealed record CompiledRule(string Attribute, RuleOperator Operator, string Single, HashSet<string> Values, bool Value, string? Variant)
    {
        public static CompiledRule From(FlagRule rule)
        {
            // FlagState.Validate allows only these two, and equals with exactly one value.
            var op = rule.Operator switch
            {
                FlagState.EqualsOperator => RuleOperator.Equals,
                FlagState.InOperator => RuleOperator.In,
                _ => throw new ArgumentException($"unknown rule operator '{rule.Operator}'", nameof(rule)),
            };
            return new CompiledRule(rule.Attribute, op, rule.Values.Count > 0 ? rule.Values[0] : "",
                rule.Values.ToHashSet(StringComparer.Ordinal), rule.Value, rule.Variant);
        }

        public bool Matches(string value) => Operator switch
        {
            RuleOperator.Equals => string.Equals(value, Single, StringComparison.Ordinal),
            _ => Values.Contains(value),
        };
    }
}

/// <summary>
/// The evaluation, a pure function of (flag, context), in the SPEC's order: disabled → off
/// (DISABLED); the first matching targeting rule → its value (TARGETING_MATCH); else the rollout
/// (SPLIT): in it → on with the user's variant, outside it → off with no variant. Bucketing is
/// <see cref="Bucketing"/>'s, on the flag's pre-encoded prefixes so it allocates nothing.
/// </summary>
public static class FlagEvaluator
{
    private static readonly Evaluation KeyMissing = new(false, null, EvaluationReason.TargetingKeyMissing);

    public static Evaluation Evaluate(CompiledFlag flag, in EvaluationContext context)
    {
        if (!flag.State.Enabled) return new Evaluation(false, null, EvaluationReason.Disabled);
        foreach (var rule in flag.Rules)
        {
            if (context.Attribute(rule.Attribute) is not { } value || !rule.Matches(value)) continue;
            if (!rule.Value) return new Evaluation(false, null, EvaluationReason.TargetingMatch);
            if (rule.Variant is null && flag.HasVariants && string.IsNullOrEmpty(context.TargetingKey)) return KeyMissing;
            return new Evaluation(true, rule.Variant ?? VariantOf(flag, context.TargetingKey), EvaluationReason.TargetingMatch);
        }
        // Bucketing needs the user; a rule that matched on attributes alone did not.
        if (string.IsNullOrEmpty(context.TargetingKey)) return KeyMissing;
        if (Bucketing.Bucket(flag.RolloutPrefix, context.TargetingKey) >= flag.RolloutBasisPoints)
            return new Evaluation(false, null, EvaluationReason.Split);
        return new Evaluation(true, VariantOf(flag, context.TargetingKey), EvaluationReason.Split);
    }

    private static string? VariantOf(CompiledFlag flag, string userId)
    {
        if (flag.VariantKeys.Length == 0) return null;
        var v = Bucketing.Bucket(flag.VariantPrefix, userId);
        for (var i = 0; i < flag.VariantThresholds.Length; i++)
            if (v < flag.VariantThresholds[i]) return flag.VariantKeys[i];
        return flag.VariantKeys[^1]; // weights sum to 100, so only rounding could get here
    }
}
