using Dashboard.Analytics.Statistics;

namespace Dashboard.Tests.Analytics.Statistics;

public sealed class SampleRatioMismatchTests
{
    /// <summary>
    /// 1,000 and 1,100 against 50/50: expected 1,050 each, χ² = 2·50²/1050 = 4.7619047619,
    /// 1 degree of freedom, p = erfc(√(χ²/2)) = 0.0290963317: unusual, but not below 0.001.
    /// </summary>
    [Fact]
    public void Test_SlightImbalance_IsNotAMismatch()
    {
        var srm = SampleRatioMismatch.Test([1000, 1100], [50, 50]).Value;

        Assert.Equal(4.7619047619, srm.ChiSquare, 9);
        Assert.Equal(1, srm.DegreesOfFreedom);
        Assert.Equal(0.0290963317, srm.PValue, 9);
        Assert.False(srm.Mismatch);
    }

    /// <summary>1,000 and 1,200 against 50/50: χ² = 2·100²/1100 = 18.1818181818, p = 0.0000200787 &lt; 0.001.</summary>
    [Fact]
    public void Test_LargeImbalance_IsAMismatch()
    {
        var srm = SampleRatioMismatch.Test([1000, 1200], [50, 50]).Value;

        Assert.Equal(18.1818181818, srm.ChiSquare, 9);
        Assert.Equal(0.0000200787, srm.PValue, 10);
        Assert.True(srm.Mismatch);
    }

    /// <summary>
    /// Unequal weights 70/30 with 2,000 and 1,000: expected 2,100 and 900,
    /// χ² = 100²/2100 + 100²/900 = 15.8730158730, p = 0.0000677377: a mismatch.
    /// </summary>
    [Fact]
    public void Test_UnequalWeights_UsesThem()
    {
        var srm = SampleRatioMismatch.Test([2000, 1000], [70, 30]).Value;

        Assert.Equal(15.8730158730, srm.ChiSquare, 9);
        Assert.Equal(0.0000677377, srm.PValue, 10);
        Assert.True(srm.Mismatch);
        // The split that matches the weights exactly is no mismatch at all.
        Assert.Equal(1, SampleRatioMismatch.Test([2100, 900], [70, 30]).Value.PValue, 12);
    }

    /// <summary>Three variants 300/330/370 at equal weights: expected 333⅓ each, χ² = 7.4, 2 df, p = e^(−3.7) = 0.0247235265.</summary>
    [Fact]
    public void Test_ThreeVariants_UsesTwoDegreesOfFreedom()
    {
        var srm = SampleRatioMismatch.Test([300, 330, 370], [1, 1, 1]).Value;

        Assert.Equal(7.4, srm.ChiSquare, 9);
        Assert.Equal(2, srm.DegreesOfFreedom);
        Assert.Equal(Math.Exp(-3.7), srm.PValue, 12);
        Assert.False(srm.Mismatch);
    }

    [Fact]
    public void Test_NoExposuresOrBadWeights_CannotCompute()
    {
        Assert.Equal("no users exposed", SampleRatioMismatch.Test([0, 0], [50, 50]).CannotComputeReason);
        Assert.False(SampleRatioMismatch.Test([10, 10], [100, 0]).HasValue);
        Assert.False(SampleRatioMismatch.Test([10], [100]).HasValue);
    }
}
