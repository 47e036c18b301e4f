namespace Dashboard.Analytics.Statistics;

/// <summary>
/// Users needed per variant to detect a relative lift (the minimum detectable effect, MDE) of the
/// control rate with a two-sided two-proportion z-test at α = 0.05 and 80% power:
/// p₁ = control rate, p₂ = p₁·(1 + MDE), p̄ = (p₁ + p₂)/2,
/// n = ⌈(z₀.₉₇₅·√(2·p̄(1−p̄)) + z₀.₈₀·√(p₁(1−p₁) + p₂(1−p₂)))² / (p₂ − p₁)²⌉
/// (Fleiss, Levin and Paik, Statistical Methods for Rates and Proportions, 3rd ed., eq. 4.14,
/// without continuity correction). Days left = for each variant, the users it still needs divided
/// by its exposures per day so far; the slowest variant decides.
/// </summary>
public static class SampleSize
{
    public static Computed<long> PerVariant(double baselineRate, double minimumDetectableEffect)
    {
        if (!(minimumDetectableEffect > 0) || double.IsInfinity(minimumDetectableEffect))
            return Computed<long>.CannotCompute("the minimum detectable effect must be above 0");
        if (!(baselineRate > 0))
            return Computed<long>.CannotCompute("control has no conversions yet, so there is no baseline rate to size from");
        if (baselineRate >= 1)
            return Computed<long>.CannotCompute("every control user converted, so no lift can be detected");
        var p1 = baselineRate;
        var p2 = p1 * (1 + minimumDetectableEffect);
        if (p2 >= 1)
            return Computed<long>.CannotCompute($"a lift of {minimumDetectableEffect:P0} on a {p1:P1} baseline would exceed 100%");
        var mean = (p1 + p2) / 2;
        var root = Normal.Z975 * Math.Sqrt(2 * mean * (1 - mean)) + Normal.Z80 * Math.Sqrt(p1 * (1 - p1) + p2 * (1 - p2));
        return Computed<long>.Of((long)Math.Ceiling(root * root / ((p2 - p1) * (p2 - p1)) - 1e-9));
    }

    /// <summary>Whole days until every variant has <paramref name="required"/> users, at each variant's traffic so far.</summary>
    public static Computed<int> DaysLeft(long required, IReadOnlyList<long> exposedPerVariant, double daysRunning)
    {
        if (exposedPerVariant.All(n => n >= required)) return Computed<int>.Of(0);
        if (!(daysRunning > 0)) return Computed<int>.CannotCompute("the experiment has not run yet, so there is no traffic to project");
        double worst = 0;
        foreach (var n in exposedPerVariant)
        {
            if (n >= required) continue;
            if (n == 0) return Computed<int>.CannotCompute("a variant has no exposures yet, so its traffic is unknown");
            worst = Math.Max(worst, (required - n) / (n / daysRunning));
        }
        if (worst > 36_500) return Computed<int>.CannotCompute("more than a hundred years at current traffic");
        return Computed<int>.Of((int)Math.Ceiling(worst));
    }
}
