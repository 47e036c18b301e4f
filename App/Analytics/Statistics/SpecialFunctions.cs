namespace Dashboard.Analytics.Statistics;

/// <summary>Log-gamma, log-beta and the regularized upper incomplete gamma function.</summary>
public static class SpecialFunctions
{
    private static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
        -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
        1.5056327351493116e-7,
    ];

    /// <summary>ln Γ(x) for x &gt; 0, by the Lanczos approximation (g = 7, n = 9); about 15 significant digits.</summary>
    public static double LogGamma(double x)
    {
        if (x <= 0) throw new ArgumentOutOfRangeException(nameof(x), x, "LogGamma needs x > 0");
        if (x < 0.5) return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - LogGamma(1 - x); // reflection
        x -= 1;
        var sum = Lanczos[0];
        for (var i = 1; i < Lanczos.Length; i++) sum += Lanczos[i] / (x + i);
        var t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }

    /// <summary>ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b).</summary>
    public static double LogBeta(double a, double b) => LogGamma(a) + LogGamma(b) - LogGamma(a + b);

    /// <summary>
    /// Q(a, x) = Γ(a, x) / Γ(a), the regularized upper incomplete gamma function, by the series for
    /// x &lt; a + 1 and Lentz's continued fraction otherwise (Numerical Recipes, 3rd ed., §6.2).
    /// The chi-square upper tail with k degrees of freedom is Q(k/2, x/2).
    /// </summary>
    public static double UpperRegularizedGamma(double a, double x)
    {
        if (a <= 0) throw new ArgumentOutOfRangeException(nameof(a), a, "needs a > 0");
        if (x <= 0) return 1;
        var logPrefix = -x + a * Math.Log(x) - LogGamma(a);
        if (x < a + 1)
        {
            // P(a, x) = e^(−x) x^a / Γ(a) · Σ x^n / (a (a+1) … (a+n))
            double term = 1 / a, sum = term, ap = a;
            for (var n = 0; n < 10_000 && Math.Abs(term) > Math.Abs(sum) * 1e-16; n++)
            {
                ap += 1;
                term *= x / ap;
                sum += term;
            }
            return Math.Max(0, 1 - sum * Math.Exp(logPrefix));
        }
        const double tiny = 1e-300;
        double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
        for (var i = 1; i < 10_000; i++)
        {
            var an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.Abs(d) < tiny) d = tiny;
            c = b + an / c;
            if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return Math.Min(1, Math.Exp(logPrefix) * h);
    }
}
