using Dashboard.Analytics.Statistics;

namespace Dashboard.Tests.Analytics.Statistics;

/// <summary>
/// Golden values worked out from the published formulas (checked with 30-digit arithmetic).
/// Control 100 of 1,000, treatment 120 of 1,000:
///   p₁ = 0.10, p₂ = 0.12, d = 0.02;
///   unpooled SE = √(0.1·0.9/1000 + 0.12·0.88/1000) = √0.0001956 = 0.0139857070;
///   95% CI = 0.02 ± 1.959964·0.0139857070 = [−0.0074114820, 0.0474114820];
///   relative lift = 0.12/0.10 − 1 = 0.2;
///   pooled p̂ = 220/2000 = 0.11, SE₀ = √(0.11·0.89·(2/1000)) = 0.0139928553, z = 1.4293008498,
///   p = 2·(1 − Φ(1.4293008498)) = 0.1529177819.
/// </summary>
public sealed class TwoProportionsTests
{
    private static readonly Proportion Control = new(1000, 100);
    private static readonly Proportion Treatment = new(1000, 120);

    [Fact]
    public void AbsoluteLift_100Of1000Against120Of1000_IsTwoPoints()
    {
        Assert.Equal(0.02, TwoProportions.AbsoluteLift(Control, Treatment).Value, 12);
    }

    [Fact]
    public void AbsoluteLiftCi95_100Of1000Against120Of1000_UsesUnpooledStandardError()
    {
        var ci = TwoProportions.AbsoluteLiftCi95(Control, Treatment).Value;

        Assert.Equal(-0.0074114820, ci.Low, 9);
        Assert.Equal(0.0474114820, ci.High, 9);
    }

    [Fact]
    public void RelativeLift_100Of1000Against120Of1000_IsTwentyPercent()
    {
        Assert.Equal(0.2, TwoProportions.RelativeLift(Control, Treatment).Value, 12);
    }

    [Fact]
    public void PooledZTest_100Of1000Against120Of1000_GivesGoldenPValue()
    {
        var test = TwoProportions.PooledZTest(Control, Treatment).Value;

        Assert.Equal(1.4293008498, test.Z, 9);
        Assert.Equal(0.1529177819, test.PValue, 9);
    }

    [Fact]
    public void PooledZTest_SwappedArms_SameTwoSidedPValue()
    {
        var test = TwoProportions.PooledZTest(Treatment, Control).Value;

        Assert.Equal(-1.4293008498, test.Z, 9);
        Assert.Equal(0.1529177819, test.PValue, 9);
    }

    /// <summary>
    /// Treatment 0 of 1,000 against 100 of 1,000: d = −0.1; only control contributes variance,
    /// SE = √(0.09/1000) = 0.0094868330, CI = −0.1 ± 0.0185938510; relative lift −1;
    /// p̂ = 0.05, SE₀ = √(0.05·0.95·0.002) = 0.0097467943, z = −10.2597835, p = 1.0695e−24.
    /// </summary>
    [Fact]
    public void Compare_TreatmentWithZeroConversions_StillComputes()
    {
        var none = new Proportion(1000, 0);

        var ci = TwoProportions.AbsoluteLiftCi95(Control, none).Value;
        Assert.Equal(-0.1185938510, ci.Low, 9);
        Assert.Equal(-0.0814061490, ci.High, 9);
        Assert.Equal(-1, TwoProportions.RelativeLift(Control, none).Value, 12);
        var test = TwoProportions.PooledZTest(Control, none).Value;
        Assert.Equal(-10.2597835209, test.Z, 9);
        // Far in the tail (|z| > 7) the continued fraction is good to a relative 1e-7.
        Assert.Equal(1.0694622791e-24, test.PValue, tolerance: 1e-31);
    }

    /// <summary>Everyone in the treatment converted: 100/100 against 10/100, d = 0.9, SE = √(0.09/100) = 0.03.</summary>
    [Fact]
    public void Compare_TreatmentWhereEveryoneConverted_ComputesWithoutInfinity()
    {
        var all = new Proportion(100, 100);
        var control = new Proportion(100, 10);

        var ci = TwoProportions.AbsoluteLiftCi95(control, all).Value;
        Assert.Equal(0.9 - 1.959963984540054 * 0.03, ci.Low, 12);
        Assert.Equal(9, TwoProportions.RelativeLift(control, all).Value, 12);
        var test = TwoProportions.PooledZTest(control, all).Value;
        Assert.True(double.IsFinite(test.PValue) && test.PValue < 1e-30);
    }

    [Fact]
    public void Compare_ZeroExposures_CannotCompute()
    {
        var empty = new Proportion(0, 0);

        Assert.False(TwoProportions.AbsoluteLift(empty, Treatment).HasValue);
        Assert.False(TwoProportions.AbsoluteLiftCi95(Control, empty).HasValue);
        Assert.False(TwoProportions.RelativeLift(empty, Treatment).HasValue);
        var test = TwoProportions.PooledZTest(Control, empty);
        Assert.False(test.HasValue);
        Assert.Equal("no users exposed to this variant", test.CannotComputeReason);
        Assert.False(empty.Rate.HasValue);
    }

    [Fact]
    public void Compare_NoConversionsAnywhere_CannotComputeTestOrRelativeLift()
    {
        var a = new Proportion(500, 0);
        var b = new Proportion(400, 0);

        Assert.Equal(0, TwoProportions.AbsoluteLift(a, b).Value);
        Assert.Equal("no user in either variant converted", TwoProportions.PooledZTest(a, b).CannotComputeReason);
        Assert.False(TwoProportions.AbsoluteLiftCi95(a, b).HasValue);
        Assert.False(TwoProportions.RelativeLift(a, b).HasValue);
    }

    [Fact]
    public void Compare_EveryoneConvertedInBoth_CannotComputeTest()
    {
        var a = new Proportion(50, 50);
        var b = new Proportion(60, 60);

        Assert.Equal("every user in both variants converted", TwoProportions.PooledZTest(a, b).CannotComputeReason);
        Assert.False(TwoProportions.AbsoluteLiftCi95(a, b).HasValue);
        Assert.Equal(0, TwoProportions.RelativeLift(a, b).Value);
    }

    [Fact]
    public void Normal_Cdf_MatchesTabulatedValues()
    {
        // Φ(0) = 0.5, Φ(1.959964) = 0.975, Φ(−3) = 0.0013498980316301, 1 − Φ(8) = 6.22096057427178e−16.
        Assert.Equal(0.5, Normal.Cdf(0), 15);
        Assert.Equal(0.975, Normal.Cdf(Normal.Z975), 13);
        Assert.Equal(0.8, Normal.Cdf(Normal.Z80), 13);
        Assert.Equal(0.0013498980316301, Normal.Cdf(-3), 15);
        Assert.Equal(6.22096057427178e-16, Normal.UpperTail(8), tolerance: 1e-22);
    }
}
