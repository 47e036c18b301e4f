namespace Dashboard.Analytics.Statistics;

public readonly record struct Interval(double Low, double High);

public readonly record struct ZTest(double Z, double PValue);

/// <summary>
/// Frequentist comparison of a treatment's conversion rate p₂ = c₂/n₂ against control's p₁ = c₁/n₁.
/// <list type="bullet">
/// <item>Absolute lift d = p₂ − p₁, with the Wald 95% interval d ± z₀.₉₇₅·SE,
/// unpooled SE = √(p₁(1−p₁)/n₁ + p₂(1−p₂)/n₂).</item>
/// <item>Relative lift = p₂ / p₁ − 1.</item>
/// <item>Two-proportion z-test: z = d / SE₀ with the pooled SE₀ = √(p̂(1−p̂)(1/n₁ + 1/n₂)),
/// p̂ = (c₁ + c₂)/(n₁ + n₂); two-sided p = 2·(1 − Φ(|z|)).</item>
/// </list>
/// </summary>
public static class TwoProportions
{
    public static Computed<double> AbsoluteLift(Proportion control, Proportion treatment)
    {
        if (Missing(control, treatment) is { } why) return Computed<double>.CannotCompute(why);
        return Computed<double>.Of(treatment.Rate.Value - control.Rate.Value);
    }

    public static Computed<Interval> AbsoluteLiftCi95(Proportion control, Proportion treatment)
    {
        if (Missing(control, treatment) is { } why) return Computed<Interval>.CannotCompute(why);
        double p1 = control.Rate.Value, p2 = treatment.Rate.Value;
        var se = Math.Sqrt(p1 * (1 - p1) / control.Exposed + p2 * (1 - p2) / treatment.Exposed);
        if (se == 0)
            return Computed<Interval>.CannotCompute("both variants converted at 0% or 100%, so the difference has no measurable spread");
        var d = p2 - p1;
        return Computed<Interval>.Of(new Interval(d - Normal.Z975 * se, d + Normal.Z975 * se));
    }

    public static Computed<double> RelativeLift(Proportion control, Proportion treatment)
    {
        if (Missing(control, treatment) is { } why) return Computed<double>.CannotCompute(why);
        var p1 = control.Rate.Value;
        if (p1 == 0) return Computed<double>.CannotCompute("control has no conversions, so a relative lift is undefined");
        return Computed<double>.Of(treatment.Rate.Value / p1 - 1);
    }

    public static Computed<ZTest> PooledZTest(Proportion control, Proportion treatment)
    {
        if (Missing(control, treatment) is { } why) return Computed<ZTest>.CannotCompute(why);
        long n1 = control.Exposed, n2 = treatment.Exposed;
        var pooled = (double)(control.Converted + treatment.Converted) / (n1 + n2);
        var se = Math.Sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2));
        if (se == 0)
            return Computed<ZTest>.CannotCompute(pooled == 0
                ? "no user in either variant converted"
                : "every user in both variants converted");
        var z = (treatment.Rate.Value - control.Rate.Value) / se;
        return Computed<ZTest>.Of(new ZTest(z, Math.Min(1, 2 * Normal.UpperTail(z))));
    }

    private static string? Missing(Proportion control, Proportion treatment) =>
        control.Exposed <= 0 ? "no users exposed to control"
        : treatment.Exposed <= 0 ? "no users exposed to this variant"
        : control.Converted > control.Exposed || treatment.Converted > treatment.Exposed ? "more conversions than exposures"
        : null;
}
