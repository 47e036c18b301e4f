namespace Dashboard.Analytics.Statistics;

/// <summary>
/// Bayesian chance that a treatment's conversion rate beats control's, with Beta(1, 1) (uniform)
/// priors: the posteriors are A ~ Beta(1 + c₁, 1 + n₁ − c₁) and B ~ Beta(1 + c₂, 1 + n₂ − c₂), and
/// P(B &gt; A) = Σ_{i=0}^{α_B−1} B(α_A + i, β_A + β_B) / ((β_B + i) · B(1 + i, β_B) · B(α_A, β_A))
/// (the closed form in Evan Miller, "Formulas for Bayesian A/B testing", 2015), summed in logs.
/// Past <see cref="ExactTerms"/> terms it uses the normal approximation of both posteriors,
/// Φ((μ_B − μ_A) / √(σ²_A + σ²_B)), which is accurate to well under 0.1% at those counts.
/// </summary>
public static class BayesianComparison
{
    public const long ExactTerms = 1_000_000;

    public static Computed<double> ChanceToBeatControl(Proportion control, Proportion treatment)
    {
        if (control.Exposed <= 0) return Computed<double>.CannotCompute("no users exposed to control");
        if (treatment.Exposed <= 0) return Computed<double>.CannotCompute("no users exposed to this variant");
        if (control.Converted > control.Exposed || treatment.Converted > treatment.Exposed)
            return Computed<double>.CannotCompute("more conversions than exposures");
        double aA = 1 + control.Converted, bA = 1 + control.Exposed - control.Converted;
        double aB = 1 + treatment.Converted, bB = 1 + treatment.Exposed - treatment.Converted;

        // The sum runs over α_B terms; P(B > A) = 1 − P(A > B) lets it run over the smaller α.
        if (Math.Min(aA, aB) > ExactTerms) return Computed<double>.Of(NormalApproximation(aA, bA, aB, bB));
        var p = aB <= aA ? Exact(aA, bA, aB, bB) : 1 - Exact(aB, bB, aA, bA);
        return Computed<double>.Of(Math.Clamp(p, 0, 1));
    }

    /// <summary>P(B &gt; A) for A ~ Beta(aA, bA), B ~ Beta(aB, bB), aB a whole number.</summary>
    private static double Exact(double aA, double bA, double aB, double bB)
    {
        var constant = SpecialFunctions.LogBeta(aA, bA);
        double total = 0;
        for (var i = 0; i < (long)aB; i++)
        {
            total += Math.Exp(SpecialFunctions.LogBeta(aA + i, bA + bB)
                              - Math.Log(bB + i)
                              - SpecialFunctions.LogBeta(1 + i, bB)
                              - constant);
        }
        return total;
    }

    private static double NormalApproximation(double aA, double bA, double aB, double bB)
    {
        static (double Mean, double Variance) Moments(double a, double b) =>
            (a / (a + b), a * b / ((a + b) * (a + b) * (a + b + 1)));
        var (mA, vA) = Moments(aA, bA);
        var (mB, vB) = Moments(aB, bB);
        return Normal.Cdf((mB - mA) / Math.Sqrt(vA + vB));
    }
}
