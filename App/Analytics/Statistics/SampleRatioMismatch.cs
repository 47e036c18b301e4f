namespace Dashboard.Analytics.Statistics;

public readonly record struct SrmTest(double ChiSquare, int DegreesOfFreedom, double PValue, bool Mismatch);

/// <summary>
/// Sample-ratio mismatch: Pearson's chi-square goodness-of-fit test of the exposures per variant
/// against the configured weights, χ² = Σ (observedᵢ − expectedᵢ)² / expectedᵢ with
/// expectedᵢ = total · wᵢ / Σw, k − 1 degrees of freedom, p = Q((k − 1)/2, χ²/2). A mismatch is
/// flagged at p &lt; <see cref="Threshold"/>: the split the users got is not the one configured, so
/// something (targeting, bucketing, logging) treats the variants differently and the comparison
/// cannot be trusted.
/// </summary>
public static class SampleRatioMismatch
{
    public const double Threshold = 0.001;

    public static Computed<SrmTest> Test(IReadOnlyList<long> observed, IReadOnlyList<double> weights)
    {
        if (observed.Count != weights.Count) throw new ArgumentException("one weight per variant");
        if (observed.Count < 2) return Computed<SrmTest>.CannotCompute("fewer than two variants");
        if (weights.Any(w => !(w > 0) || double.IsInfinity(w)))
            return Computed<SrmTest>.CannotCompute("every variant needs a positive weight");
        var total = observed.Sum();
        if (total <= 0) return Computed<SrmTest>.CannotCompute("no users exposed");
        var weightSum = weights.Sum();
        double chi = 0;
        for (var i = 0; i < observed.Count; i++)
        {
            var expected = total * weights[i] / weightSum;
            chi += (observed[i] - expected) * (observed[i] - expected) / expected;
        }
        var df = observed.Count - 1;
        var p = SpecialFunctions.UpperRegularizedGamma(df / 2.0, chi / 2);
        return Computed<SrmTest>.Of(new SrmTest(chi, df, p, p < Threshold));
    }
}
