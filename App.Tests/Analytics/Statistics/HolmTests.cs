using Dashboard.Analytics.Statistics;

namespace Dashboard.Tests.Analytics.Statistics;

/// <summary>
/// p = (0.01, 0.04, 0.03): sorted 0.01, 0.03, 0.04 get 3·0.01 = 0.03, max(0.03, 2·0.03) = 0.06,
/// max(0.06, 1·0.04) = 0.06; so at α = 0.05 only the first is rejected (Bonferroni would give
/// 0.03, 0.12, 0.09 and reject the same one; unadjusted, all three).
/// </summary>
public sealed class HolmTests
{
    [Fact]
    public void Adjust_ThreePValues_StepsDownAndStaysMonotone()
    {
        var adjusted = Holm.Adjust([0.01, 0.04, 0.03]);

        Assert.Equal(0.03, adjusted[0]!.Value, 12);
        Assert.Equal(0.06, adjusted[1]!.Value, 12);
        Assert.Equal(0.06, adjusted[2]!.Value, 12);
    }

    [Fact]
    public void Adjust_SinglePValue_IsUnchanged()
    {
        Assert.Equal(0.2, Holm.Adjust([0.2])[0]!.Value, 12);
    }

    [Fact]
    public void Adjust_NullsAndTies_NullsStayOutOfTheCountAndLargeValuesCapAtOne()
    {
        // m = 2 (the null does not count): 0.3 and 0.3 tie → 2·0.3 = 0.6, then max(0.6, 0.3) = 0.6; 0.7·2 caps at 1.
        var adjusted = Holm.Adjust([null, 0.3, 0.3]);
        Assert.Null(adjusted[0]);
        Assert.Equal(0.6, adjusted[1]!.Value, 12);
        Assert.Equal(0.6, adjusted[2]!.Value, 12);
        Assert.Equal(1, Holm.Adjust([0.7, 0.9])[0]!.Value, 12);
        Assert.Empty(Holm.Adjust([]));
    }
}
