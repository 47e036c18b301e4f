using Dashboard.Analytics.Statistics;

namespace Dashboard.Tests.Analytics.Statistics;

public sealed class BayesianComparisonTests
{
    /// <summary>
    /// Control 100/1,000 → A ~ Beta(101, 901); treatment 120/1,000 → B ~ Beta(121, 881).
    /// P(B &gt; A) = ∫ f_A(x)·(1 − I_x(121, 881)) dx = 0.9231834390 (numerical integration, 30 digits).
    /// </summary>
    [Fact]
    public void ChanceToBeatControl_100Of1000Against120Of1000_GivesGoldenValue()
    {
        var p = BayesianComparison.ChanceToBeatControl(new(1000, 100), new(1000, 120)).Value;

        Assert.Equal(0.9231834390, p, 9);
    }

    [Fact]
    public void ChanceToBeatControl_SwappedArms_IsTheComplement()
    {
        var p = BayesianComparison.ChanceToBeatControl(new(1000, 120), new(1000, 100)).Value;

        Assert.Equal(1 - 0.9231834390, p, 9);
    }

    /// <summary>
    /// By hand: A ~ Beta(1, 2) (0 of 1), B ~ Beta(2, 1) (1 of 1). f_A(x) = 2(1 − x), F_B(x) = x²:
    /// P(B &gt; A) = ∫₀¹ 2(1 − x)(1 − x²) dx = 2·(1 − 1/2 − 1/3 + 1/4) = 5/6.
    /// </summary>
    [Fact]
    public void ChanceToBeatControl_OneUserEach_IsFiveSixths()
    {
        var p = BayesianComparison.ChanceToBeatControl(new(1, 0), new(1, 1)).Value;

        Assert.Equal(5.0 / 6, p, 12);
    }

    [Fact]
    public void ChanceToBeatControl_NoConversionsInEither_IsOneHalf()
    {
        // Identical posteriors Beta(1, 1001): by symmetry 0.5.
        var p = BayesianComparison.ChanceToBeatControl(new(1000, 0), new(1000, 0)).Value;

        Assert.Equal(0.5, p, 9);
    }

    [Fact]
    public void ChanceToBeatControl_EveryoneConverted_IsFiniteAndCertain()
    {
        var p = BayesianComparison.ChanceToBeatControl(new(100, 10), new(100, 100)).Value;

        Assert.Equal(1, p, 9);
    }

    [Fact]
    public void ChanceToBeatControl_NoExposures_CannotCompute()
    {
        Assert.Equal("no users exposed to control", BayesianComparison.ChanceToBeatControl(new(0, 0), new(10, 1)).CannotComputeReason);
        Assert.Equal("no users exposed to this variant", BayesianComparison.ChanceToBeatControl(new(10, 1), new(0, 0)).CannotComputeReason);
    }

    [Fact]
    public void ChanceToBeatControl_LargeCounts_AgreesWithNormalApproximation()
    {
        // 2,000,000 conversions each side take the normal approximation; equal rates give 0.5,
        // and 10.0% vs 10.1% of 20,000,000 is far beyond doubt.
        Assert.Equal(0.5, BayesianComparison.ChanceToBeatControl(new(20_000_000, 2_000_000), new(20_000_000, 2_000_000)).Value, 9);
        Assert.True(BayesianComparison.ChanceToBeatControl(new(20_000_000, 2_000_000), new(20_000_000, 2_020_000)).Value > 0.9999);
    }
}
