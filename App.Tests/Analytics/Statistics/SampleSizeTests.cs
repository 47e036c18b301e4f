using Dashboard.Analytics.Statistics;

namespace Dashboard.Tests.Analytics.Statistics;

public sealed class SampleSizeTests
{
    /// <summary>
    /// Baseline 10%, MDE +10% relative: p₂ = 0.11, p̄ = 0.105;
    /// n = (1.959964·√(2·0.105·0.895) + 0.841621·√(0.1·0.9 + 0.11·0.89))² / 0.01²
    ///   = (1.959964·0.433532 + 0.841621·0.435546)² / 0.0001 = 14,750.79 → 14,751 per variant.
    /// </summary>
    [Fact]
    public void PerVariant_TenPercentBaselineTenPercentLift_Gives14751()
    {
        Assert.Equal(14_751, SampleSize.PerVariant(0.10, 0.10).Value);
    }

    /// <summary>Baseline 12%, MDE +50%: p₂ = 0.18, n = 554.78 → 555.</summary>
    [Fact]
    public void PerVariant_TwelvePercentBaselineFiftyPercentLift_Gives555()
    {
        Assert.Equal(555, SampleSize.PerVariant(0.12, 0.5).Value);
    }

    /// <summary>Baseline 5%, MDE +20%: p₂ = 0.06, n = 8,157.73 → 8,158.</summary>
    [Fact]
    public void PerVariant_FivePercentBaselineTwentyPercentLift_Gives8158()
    {
        Assert.Equal(8_158, SampleSize.PerVariant(0.05, 0.2).Value);
    }

    [Fact]
    public void PerVariant_NoBaselineOrImpossibleLift_CannotCompute()
    {
        Assert.Contains("no conversions", SampleSize.PerVariant(0, 0.1).CannotComputeReason);
        Assert.Contains("every control user converted", SampleSize.PerVariant(1, 0.1).CannotComputeReason);
        Assert.Contains("exceed 100%", SampleSize.PerVariant(0.6, 1).CannotComputeReason);
        Assert.False(SampleSize.PerVariant(0.1, 0).HasValue);
        Assert.False(SampleSize.PerVariant(0.1, double.NaN).HasValue);
    }

    [Fact]
    public void DaysLeft_SlowestVariantDecides()
    {
        // 10 days in: 400 and 300 users, 1,000 needed. 600 at 40/day = 15 days, 700 at 30/day = 23.3 → 24.
        Assert.Equal(24, SampleSize.DaysLeft(1000, [400, 300], 10).Value);
        Assert.Equal(0, SampleSize.DaysLeft(300, [400, 300], 10).Value);
    }

    [Fact]
    public void DaysLeft_NoTrafficYet_CannotCompute()
    {
        Assert.False(SampleSize.DaysLeft(1000, [0, 0], 0).HasValue);
        Assert.Contains("no exposures", SampleSize.DaysLeft(1000, [10, 0], 3).CannotComputeReason);
    }
}
