namespace Dashboard.Analytics.Statistics;

public readonly record struct SequentialInterval(double Low, double High, double PValue);

/// <summary>
/// An always-valid 95% confidence sequence for the absolute lift d = p₂ − p₁, safe to look at after
/// every new user: the probability that it ever excludes the true lift, at any of the looks, is at
/// most α. It is the asymptotic normal-mixture confidence sequence (Robbins' normal mixture, as
/// in Howard, Ramdas, McAuliffe and Sekhon, "Time-uniform, nonparametric, nonasymptotic confidence
/// sequences", Ann. Statist. 2021; asymptotic form of Waudby-Smith, Arbour, Sinha, Kennedy and
/// Ramdas, "Time-uniform central limit theory and asymptotic confidence sequences", Thm 2.2):
/// with t observations of standard deviation σ, μ̂ₜ ± σ·√( 2(tρ² + 1)/(t²ρ²) · ln(√(tρ² + 1)/α) ).
/// For two arms, t = n₁ + n₂ and σ²/t is the variance of the difference, V = p₁(1−p₁)/n₁ + p₂(1−p₂)/n₂
/// (unpooled, as the fixed-horizon interval), which gives the half-width
/// <code>h = √( 2V · (1 + 1/(tρ²)) · ln(√(tρ² + 1)/α) )</code>
/// The tuning parameter ρ sets where the sequence is tightest; it is fixed in advance (a
/// data-dependent ρ would void the guarantee) as the ρ that minimizes the width at
/// t* = <see cref="TunedForUsers"/> users in the comparison:
/// ρ² = (−2 ln α + ln(1 − 2 ln α)) / t*. The matching always-valid p-value is the smallest α whose
/// sequence excludes 0: p = min(1, √(tρ² + 1) · exp(−z²/2 · tρ²/(tρ² + 1))), z² = d²/V.
/// </summary>
public static class ConfidenceSequence
{
    public const double Alpha = 0.05;

    /// <summary>t*, the users in a comparison (both arms) where the sequence is tightest.</summary>
    public const long TunedForUsers = 10_000;

    /// <summary>ρ² = (−2 ln α + ln(1 − 2 ln α)) / t*.</summary>
    public static double RhoSquared(double alpha = Alpha, long tunedFor = TunedForUsers) =>
        (-2 * Math.Log(alpha) + Math.Log(1 - 2 * Math.Log(alpha))) / tunedFor;

    /// <summary>The 95% sequence for p₂ − p₁ and its always-valid p-value.</summary>
    public static Computed<SequentialInterval> AbsoluteLift(Proportion control, Proportion treatment)
    {
        var lift = TwoProportions.AbsoluteLift(control, treatment);
        if (!lift.HasValue) return Computed<SequentialInterval>.CannotCompute(lift.CannotComputeReason!);
        double p1 = control.Rate.Value, p2 = treatment.Rate.Value;
        var variance = p1 * (1 - p1) / control.Exposed + p2 * (1 - p2) / treatment.Exposed;
        return Of(lift.Value, variance, control.Exposed + treatment.Exposed);
    }

    /// <summary>The sequence around an estimate with the given variance after <paramref name="users"/> users.</summary>
    public static Computed<SequentialInterval> Of(double estimate, double variance, long users)
    {
        if (!(variance > 0))
            return Computed<SequentialInterval>.CannotCompute("both variants converted at 0% or 100%, so the difference has no measurable spread");
        var tr = users * RhoSquared();
        var half = Math.Sqrt(2 * variance * (1 + 1 / tr) * Math.Log(Math.Sqrt(tr + 1) / Alpha));
        var z2 = estimate * estimate / variance;
        var p = Math.Min(1, Math.Sqrt(tr + 1) * Math.Exp(-z2 / 2 * tr / (tr + 1)));
        return Computed<SequentialInterval>.Of(new SequentialInterval(estimate - half, estimate + half, p));
    }
}
