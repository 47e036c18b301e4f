using Dashboard.Analytics.Statistics;

namespace Dashboard.Tests.Analytics.Statistics;

/// <summary>
/// Golden values from the normal-mixture formula, worked out in double precision by hand (Python's
/// math module), α = 0.05, t* = 10,000:
///   ρ² = (−2 ln 0.05 + ln(1 − 2 ln 0.05)) / 10,000 = (5.9914645 + 1.9446901) / 10,000 = 0.00079361546017;
/// control 100 of 1,000 against 160 of 1,000: V = 0.09/1000 + 0.1344/1000 = 0.0002244, t = 2,000,
///   tρ² = 1.5872309, h = √(2·0.0002244·(1 + 1/1.5872309)·ln(√2.5872309/0.05)) = 0.0503909932,
///   interval 0.06 ± h = [0.0096090068, 0.1103909932] (the Wald interval is ± 0.0293602343),
///   always-valid p = √2.5872309·exp(−(0.0036/0.0002244)/2·1.5872309/2.5872309) = 0.0117286627;
/// 100 of 1,000 against 120 of 1,000: V = 0.0001956, h = 0.0470463481, [−0.0270463481, 0.0670463481], p = 0.8589946354;
/// 1,000 of 10,000 against 1,100 of 10,000: V = 0.00001879, h = 0.0132707180, [−0.0032707180, 0.0232707180], p = 0.3360687369.
/// </summary>
public sealed class ConfidenceSequenceTests
{
    [Fact]
    public void RhoSquared_TunedFor10000Users_MatchesTheClosedForm()
    {
        Assert.Equal(0.0007936154601737565, ConfidenceSequence.RhoSquared(), 15);
    }

    [Theory]
    [InlineData(1000, 100, 1000, 160, 0.0096090067795126, 0.1103909932204874, 0.0117286627184189)]
    [InlineData(1000, 100, 1000, 120, -0.0270463480788366, 0.0670463480788366, 0.8589946354171981)]
    [InlineData(10000, 1000, 10000, 1100, -0.0032707180473136, 0.0232707180473136, 0.3360687369408203)]
    public void AbsoluteLift_HandComputedCounts_MatchesTheGoldenValues(long n1, long c1, long n2, long c2, double low, double high, double p)
    {
        var s = ConfidenceSequence.AbsoluteLift(new Proportion(n1, c1), new Proportion(n2, c2)).Value;

        Assert.Equal(low, s.Low, 10);
        Assert.Equal(high, s.High, 10);
        Assert.Equal(p, s.PValue, 10);
    }

    [Fact]
    public void AbsoluteLift_IsWiderThanTheFixedHorizonInterval()
    {
        var control = new Proportion(1000, 100);
        var treatment = new Proportion(1000, 160);
        var wald = TwoProportions.AbsoluteLiftCi95(control, treatment).Value;
        var cs = ConfidenceSequence.AbsoluteLift(control, treatment).Value;

        Assert.True(cs.Low < wald.Low && cs.High > wald.High);
    }

    [Fact]
    public void AbsoluteLift_PValueBelowAlpha_ExactlyWhenTheIntervalExcludesZero()
    {
        for (var c2 = 100; c2 <= 180; c2++)
        {
            var s = ConfidenceSequence.AbsoluteLift(new Proportion(1000, 100), new Proportion(1000, c2)).Value;
            Assert.Equal(s.Low > 0 || s.High < 0, s.PValue < 0.05);
        }
    }

    [Theory]
    [InlineData(0, 0, 10, 1, "no users exposed to control")]
    [InlineData(10, 1, 0, 0, "no users exposed to this variant")]
    [InlineData(10, 0, 10, 0, "no measurable spread")]
    [InlineData(10, 10, 10, 10, "no measurable spread")]
    public void AbsoluteLift_DegenerateCounts_CannotCompute(long n1, long c1, long n2, long c2, string reason)
    {
        var s = ConfidenceSequence.AbsoluteLift(new Proportion(n1, c1), new Proportion(n2, c2));

        Assert.False(s.HasValue);
        Assert.Contains(reason, s.CannotComputeReason);
    }
}
