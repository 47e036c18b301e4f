namespace Dashboard.Analytics.Statistics;

/// <summary>The standard normal distribution.</summary>
public static class Normal
{
    /// <summary>z for a two-sided 95% interval and α = 0.05: Φ⁻¹(0.975).</summary>
    public const double Z975 = 1.959963984540054;

    /// <summary>z for 80% power: Φ⁻¹(0.80).</summary>
    public const double Z80 = 0.8416212335729143;

    /// <summary>Φ(x), the cumulative distribution function.</summary>
    public static double Cdf(double x) => x > 0 ? 1 - UpperTail(x) : UpperTail(-x);

    /// <summary>
    /// 1 − Φ(|x|) without cancellation, by Hart's double-precision algorithm 5666 as given by
    /// G. West, "Better approximations to cumulative normal functions", Wilmott (2005): a rational
    /// function up to |x| = 7.07, a continued fraction beyond; absolute error about 1e-15, relative error under
    /// 1e-7 far in the tail (|x| &gt; 7), where p-values are shown as "p &lt; 0.0001" anyway.
    /// </summary>
    public static double UpperTail(double x)
    {
        var a = Math.Abs(x);
        if (a > 37) return 0;
        var e = Math.Exp(-a * a / 2);
        if (a >= 7.07106781186547)
        {
            var d = a + 0.65;
            d = a + 4 / d;
            d = a + 3 / d;
            d = a + 2 / d;
            d = a + 1 / d;
            return e / d / 2.506628274631;
        }
        var n = 3.52624965998911E-02 * a + 0.700383064443688;
        n = n * a + 6.37396220353165;
        n = n * a + 33.912866078383;
        n = n * a + 112.079291497871;
        n = n * a + 221.213596169931;
        n = n * a + 220.206867912376;
        var m = 8.83883476483184E-02 * a + 1.75566716318264;
        m = m * a + 16.064177579207;
        m = m * a + 86.7807322029461;
        m = m * a + 296.564248779674;
        m = m * a + 637.333633378831;
        m = m * a + 793.826512519948;
        m = m * a + 440.413735824752;
        return e * n / m;
    }
}
