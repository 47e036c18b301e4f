using Dashboard.Analytics.Statistics;

namespace Dashboard.Tests.Analytics.Statistics;

/// <summary>
/// A tiny data set, (x = events in the 14 days before exposure, y = converted):
///   control   (0,0) (1,0) (2,1) (3,1) (1,0) (0,0): n 6, Σy 2, Σx 7, Σx² 15, Σxy 5;
///   treatment (0,0) (2,1) (4,1) (1,1) (3,0) (0,1): n 6, Σy 4, Σx 10, Σx² 30, Σxy 7.
/// Pooled (n 12): x̄ = 17/12 = 1.4166667, ȳ = 0.5, var x = 45/12 − x̄² = 1.7430556,
///   cov = 12/12 − x̄·ȳ = 0.2916667, θ = cov/var x = 0.1673306773.
/// Adjusted means: control 1/3 − θ(7/6 − 17/12), treatment 2/3 − θ(10/6 − 17/12);
///   lift = 1/3 − θ·0.5 = 0.2496679947 (unadjusted 0.3333333).
/// Adjusted variances (1/n moments) per arm: var y − 2θ cov + θ² var x, over n; sum 0.0619600...;
///   interval 0.2496679947 ± 1.959964·√sum = [−0.2378494143, 0.7371854037];
///   unadjusted variance (2/9 + 2/9)/6 = 0.0740741, variance reduced 1 − sum/0.0740741 = 0.1647473850.
/// (All worked out in double precision with Python's math module.)
/// </summary>
public sealed class CupedTests
{
    private static readonly CupedArm Control = new(6, 2, 7, 15, 5);
    private static readonly CupedArm Treatment = new(6, 4, 10, 30, 7);

    [Fact]
    public void Theta_TinyDataSet_IsPooledCovarianceOverVariance()
    {
        Assert.Equal(0.16733067729083664, Cuped.Theta([Control, Treatment]).Value, 12);
    }

    [Fact]
    public void AbsoluteLift_TinyDataSet_MatchesTheGoldenValues()
    {
        var theta = Cuped.Theta([Control, Treatment]).Value;
        var e = Cuped.AbsoluteLift(Control, Treatment, theta, 17 / 12.0).Value;

        Assert.Equal(0.249667994687915, e.Lift, 12);
        Assert.Equal(-0.23784941434938806, e.Ci95.Low, 10);
        Assert.Equal(0.7371854037252181, e.Ci95.High, 10);
        Assert.Equal(0.16474738496214358, e.VarianceReduction, 10);
    }

    [Fact]
    public void AbsoluteLift_ThetaZero_IsTheWaldInterval()
    {
        var e = Cuped.AbsoluteLift(Control, Treatment, 0, 17 / 12.0).Value;
        var wald = TwoProportions.AbsoluteLiftCi95(new Proportion(6, 2), new Proportion(6, 4)).Value;

        Assert.Equal(wald.Low, e.Ci95.Low, 12);
        Assert.Equal(wald.High, e.Ci95.High, 12);
        Assert.Equal(0, e.VarianceReduction, 12);
    }

    [Fact]
    public void Theta_NoPreExposureActivity_CannotComputeWithTheReason()
    {
        var none = Cuped.Theta([new CupedArm(5, 1, 0, 0, 0), new CupedArm(5, 2, 0, 0, 0)]);
        var same = Cuped.Theta([new CupedArm(2, 1, 4, 8, 2), new CupedArm(2, 0, 4, 8, 0)]);

        Assert.Contains("no exposed user had any activity in the 14 days before exposure", none.CannotComputeReason);
        Assert.Contains("the same activity", same.CannotComputeReason);
        Assert.False(Cuped.Theta([default, default]).HasValue);
    }
}
