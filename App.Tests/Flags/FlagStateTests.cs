using Dashboard.Flags;

namespace Dashboard.Tests.Flags;

public sealed class FlagStateTests
{
    private static FlagState Valid() => new("checkout_v2", "New checkout", "payments", true, 12.5m,
        [new FlagRule("cohort", "equals", ["beta"])], [new FlagVariant("control", 50), new FlagVariant("treatment", 50)]);

    [Fact]
    public void Validate_ValidFlag_HasNoErrors() => Assert.Empty(Valid().Validate());

    [Theory]
    [InlineData("")]
    [InlineData("-starts-with-dash")]
    [InlineData("has space")]
    [InlineData("slash/inside")]
    public void Validate_BadKey_SaysWhy(string key) =>
        Assert.Contains((Valid() with { Key = key }).Validate(), e => e.StartsWith("The key"));

    [Theory]
    [InlineData(-0.01)]
    [InlineData(100.01)]
    [InlineData(12.345)]
    public void Validate_BadRollout_SaysWhy(double rollout) =>
        Assert.Contains((Valid() with { RolloutPercent = (decimal)rollout }).Validate(), e => e.Contains("rollout"));

    [Fact]
    public void Validate_WeightsNotSummingTo100_SaysTheSum()
    {
        var errors = (Valid() with { Variants = [new("control", 50), new("treatment", 49.99m)] }).Validate();
        Assert.Contains("Variant weights must sum to 100 (they sum to 99.99).", errors);
    }

    [Fact]
    public void Validate_RuleProblems_AreNamedByRuleNumber()
    {
        var errors = (Valid() with
        {
            Rules = [new("cohort", "equals", ["beta"]), new("", "contains", []), new("plan", "equals", ["a", "b"]), new("x", "in", ["y"], true, "nope")],
        }).Validate();
        Assert.Contains(errors, e => e.StartsWith("Rule 2: the attribute"));
        Assert.Contains(errors, e => e.StartsWith("Rule 2: the operator"));
        Assert.Contains(errors, e => e.StartsWith("Rule 2: give at least one value"));
        Assert.Contains(errors, e => e.StartsWith("Rule 3: 'equals' takes one value"));
        Assert.Contains(errors, e => e.StartsWith("Rule 4: the variant 'nope'"));
    }

    [Fact]
    public void Validate_ReservedOrDuplicateVariantKeys_AreRefused()
    {
        Assert.Contains((Valid() with { Variants = [new("off", 50), new("on", 50)] }).Validate(), e => e.Contains("'off' is reserved"));
        Assert.Contains((Valid() with { Variants = [new("a", 50), new("a", 50)] }).Validate(), e => e.Contains("unique"));
        Assert.Contains((Valid() with { Variants = [new("a", 100)] }).Validate(), e => e.Contains("at least two"));
    }

    [Fact]
    public void Normalized_TrimsAndDropsEmptyValues()
    {
        var s = new FlagState(" k ", " d ", " o ", true, 1, [new(" cohort ", " IN ", [" beta ", "", "beta"])], [new(" a ", 50), new("b", 50)]).Normalized();
        Assert.Equal("k", s.Key);
        Assert.Equal("in", s.Rules[0].Operator);
        Assert.Equal(["beta"], s.Rules[0].Values);
        Assert.Equal("a", s.Variants[0].Key);
    }

    [Theory]
    [InlineData(false, 50, 0, FlagStatus.Off)]
    [InlineData(true, 0, 0, FlagStatus.Off)]
    [InlineData(true, 100, 0, FlagStatus.On)]
    [InlineData(true, 25, 0, FlagStatus.Percentage)]
    [InlineData(true, 10, 1, FlagStatus.Targeted)]
    public void Status_ReadsTheState(bool enabled, double rollout, int rules, FlagStatus expected)
    {
        var s = new FlagState("k", "", "", enabled, (decimal)rollout, Enumerable.Repeat(new FlagRule("c", "equals", ["b"]), rules).ToList(), []);
        Assert.Equal(expected, s.Status);
    }

    [Fact]
    public void Describe_Change_ListsEachChangedFieldInWords()
    {
        var before = Valid();
        var after = before with { Enabled = false, RolloutPercent = 25, Variants = [new("control", 40), new("treatment", 60)] };
        Assert.Equal(
        [
            "Enabled: on → off",
            "Rollout: 12.5 % → 25 %",
            "Variants: control 50 %, treatment 50 % → control 40 %, treatment 60 %",
        ], FlagDiff.Describe(before, after));
        Assert.StartsWith("Created: on, rollout 12.5 %", FlagDiff.Describe(null, before)[0]);
    }

    [Fact]
    public void Assess_RiskyChanges_AreNamed()
    {
        var before = Valid();
        Assert.Equal([RiskKind.DisablingWithTraffic], FlagChangeRisk.Assess(before, before with { Enabled = false }, 10, null));
        Assert.Empty(FlagChangeRisk.Assess(before, before with { Enabled = false }, 0, null));
        Assert.Equal([RiskKind.JumpToFull], FlagChangeRisk.Assess(before, before with { RolloutPercent = 100 }, 0, null));
        Assert.Empty(FlagChangeRisk.Assess(before, before with { RolloutPercent = 50 }, 10, null));
        Assert.Equal([RiskKind.RunningExperimentWeights],
            FlagChangeRisk.Assess(before, before with { Variants = [new("control", 40), new("treatment", 60)] }, 0, "exp"));
        Assert.Empty(FlagChangeRisk.Assess(before, before with { Variants = [new("control", 40), new("treatment", 60)] }, 0, null));
    }

    [Fact]
    public void Describe_Risk_SaysWhatTheChangeDoesToUsersSeenLastWeek()
    {
        var text = FlagChangeRisk.Describe([RiskKind.JumpToFull], new FlagImpact(5000, 4200, 0, 0), 0, null);
        Assert.Equal("This raises the rollout to 100 % in one step. Of the 5,000 users seen last week, it turns it on for about 4,200 users.", text);
    }
}
