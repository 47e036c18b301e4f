namespace Dashboard.Analytics.Statistics;

/// <summary>Sufficient statistics of one arm for CUPED: users n, Σy (conversions), Σx, Σx², Σxy, with x the pre-exposure covariate.</summary>
public readonly record struct CupedArm(long N, double SumY, double SumX, double SumXX, double SumXY)
{
    public static CupedArm operator +(CupedArm a, CupedArm b) =>
        new(a.N + b.N, a.SumY + b.SumY, a.SumX + b.SumX, a.SumXX + b.SumXX, a.SumXY + b.SumXY);

    public double MeanY => SumY / N;
    public double MeanX => SumX / N;
    // Moments with the 1/n denominator, as the unadjusted Wald interval's p(1−p)/n uses.
    public double VarY => SumY / N - MeanY * MeanY; // y is 0 or 1, so Σy² = Σy
    public double VarX => SumXX / N - MeanX * MeanX;
    public double CovXY => SumXY / N - MeanX * MeanY;
}

public readonly record struct CupedEstimate(double Lift, Interval Ci95, double VarianceReduction);

/// <summary>
/// CUPED (Deng, Xu, Kohavi and Walker, "Improving the sensitivity of online controlled
/// experiments by utilizing pre-experiment data", WSDM 2013): with a covariate x measured before
/// exposure (so the treatment cannot move it), each user's y is replaced by y − θ(x − x̄), where
/// θ = cov(y, x) / var(x) over the users of every variant pooled and x̄ their pooled mean. The
/// adjusted lift is (ȳ₂ − θ(x̄₂ − x̄)) − (ȳ₁ − θ(x̄₁ − x̄)); its variance is Σᵢ (var yᵢ − 2θ cov(x, y)ᵢ +
/// θ² var xᵢ)/nᵢ per arm, and the 95% interval is the lift ± z₀.₉₇₅ times its root. Variance
/// reduced = 1 − adjusted variance / unadjusted variance (Σᵢ var yᵢ / nᵢ). With θ = 0 this is
/// exactly the Wald interval.
/// </summary>
public static class Cuped
{
    /// <summary>θ = cov(y, x) / var(x) over all arms pooled; cannot compute when x does not vary.</summary>
    public static Computed<double> Theta(IReadOnlyList<CupedArm> arms)
    {
        var all = arms.Aggregate(default(CupedArm), (a, b) => a + b);
        if (all.N <= 0) return Computed<double>.CannotCompute("no users exposed");
        if (all.SumX <= 0) return Computed<double>.CannotCompute("no exposed user had any activity in the 14 days before exposure");
        if (!(all.VarX > 1e-12))
            return Computed<double>.CannotCompute("every exposed user had the same activity before exposure, so it cannot explain any variance");
        return Computed<double>.Of(all.CovXY / all.VarX);
    }

    public static Computed<CupedEstimate> AbsoluteLift(CupedArm control, CupedArm treatment, double theta, double pooledMeanX)
    {
        if (control.N <= 0) return Computed<CupedEstimate>.CannotCompute("no users exposed to control");
        if (treatment.N <= 0) return Computed<CupedEstimate>.CannotCompute("no users exposed to this variant");
        double Adjusted(CupedArm a) => a.MeanY - theta * (a.MeanX - pooledMeanX);
        double AdjustedVariance(CupedArm a) => Math.Max(0, a.VarY - 2 * theta * a.CovXY + theta * theta * a.VarX) / a.N;
        var raw = control.VarY / control.N + treatment.VarY / treatment.N;
        if (!(raw > 0))
            return Computed<CupedEstimate>.CannotCompute("both variants converted at 0% or 100%, so there is no variance to reduce");
        var variance = AdjustedVariance(control) + AdjustedVariance(treatment);
        var lift = Adjusted(treatment) - Adjusted(control);
        var half = Normal.Z975 * Math.Sqrt(variance);
        return Computed<CupedEstimate>.Of(new CupedEstimate(lift, new Interval(lift - half, lift + half), 1 - variance / raw));
    }
}
