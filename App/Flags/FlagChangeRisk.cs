namespace Dashboard.Flags;

public enum RiskKind { DisablingWithTraffic, JumpToFull, RunningExperimentWeights }

/// <summary>
/// Changes that ask for a confirmation before they are saved: disabling a flag that was evaluated
/// in the last 24 hours, raising the rollout to 100 % in one step, and changing the variant
/// weights (or variants) of a flag that feeds a running experiment.
/// </summary>
public static class FlagChangeRisk
{
    public static IReadOnlyList<RiskKind> Assess(FlagState? before, FlagState after, long evaluationsLast24Hours, string? runningExperiment)
    {
        var risks = new List<RiskKind>();
        if (before is null) return risks;
        if (before.Enabled && !after.Enabled && evaluationsLast24Hours > 0) risks.Add(RiskKind.DisablingWithTraffic);
        if (after.Enabled && after.RolloutPercent == 100 && (before.RolloutPercent < 100 || !before.Enabled)) risks.Add(RiskKind.JumpToFull);
        if (runningExperiment is not null && !before.Variants.SequenceEqual(after.Variants)) risks.Add(RiskKind.RunningExperimentWeights);
        return risks;
    }

    /// <summary>The confirmation's text: what each risk does, with the estimate over users seen last week.</summary>
    public static string Describe(IReadOnlyList<RiskKind> risks, FlagImpact impact, long evaluationsLast24Hours, string? runningExperiment)
    {
        var parts = new List<string>();
        foreach (var r in risks)
        {
            parts.Add(r switch
            {
                RiskKind.DisablingWithTraffic => $"This turns the flag off everywhere; it was evaluated {evaluationsLast24Hours:N0} times in the last 24 hours.",
                RiskKind.JumpToFull => "This raises the rollout to 100 % in one step.",
                _ => $"This changes the variants of a flag that feeds the running experiment “{runningExperiment}”: " +
                     "users already exposed keep their first variant in the results, but new exposures follow the new weights.",
            });
        }
        var effect = new List<string>();
        if (impact.TurnedOn > 0) effect.Add($"turns it on for about {impact.TurnedOn:N0} users");
        if (impact.TurnedOff > 0) effect.Add($"turns it off for about {impact.TurnedOff:N0} users");
        if (impact.VariantChanged > 0) effect.Add($"moves about {impact.VariantChanged:N0} users to another variant");
        parts.Add(effect.Count == 0
            ? $"It changes nothing for the {impact.UsersSeen:N0} users seen last week."
            : $"Of the {impact.UsersSeen:N0} users seen last week, it {string.Join(", ", effect)}.");
        return string.Join(" ", parts);
    }
}
