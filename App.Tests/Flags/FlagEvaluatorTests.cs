using Dashboard.Flags;

namespace Dashboard.Tests.Flags;

public sealed class FlagEvaluatorTests
{
    private static CompiledFlag Flag(string key = "checkout_v2", bool enabled = true, decimal rollout = 100,
        FlagRule[]? rules = null, FlagVariant[]? variants = null) =>
        new(new FlagState(key, "", "", enabled, rollout, rules ?? [], variants ?? []));

    private static Evaluation Eval(CompiledFlag flag, string user, Dictionary<string, string>? attributes = null) =>
        FlagEvaluator.Evaluate(flag, new EvaluationContext(user, attributes));

    // Vectors from the README: checkout_v2 rollout buckets alice 3473, bob 4115, Zoë 4104; variant buckets 3628, 4514, 178.
    [Theory]
    [InlineData("alice", 34.73, false)]
    [InlineData("alice", 34.74, true)]
    [InlineData("bob", 41.15, false)]
    [InlineData("bob", 41.16, true)]
    [InlineData("Zoë", 41.04, false)]
    [InlineData("Zoë", 41.05, true)]
    public void Evaluate_RolloutAtTheBucketBoundary_IsInOnlyAboveTheBucket(string user, double rollout, bool on)
    {
        var result = Eval(Flag(rollout: (decimal)rollout), user);
        Assert.Equal(on, result.On);
        Assert.Equal(EvaluationReason.Split, result.Reason);
        Assert.Null(result.Variant);
    }

    [Theory]
    [InlineData("alice", "control", "treatment")] // variant bucket 3628
    [InlineData("bob", "control", "treatment")]   // 4514
    [InlineData("Zoë", "control", "control")]     // 178
    public void Evaluate_Variants_FirstWhoseCumulativeWeightExceedsTheVariantBucket(string user, string at50, string at30)
    {
        Assert.Equal(at50, Eval(Flag(variants: [new("control", 50), new("treatment", 50)]), user).Variant);
        Assert.Equal(at30, Eval(Flag(variants: [new("control", 30), new("treatment", 70)]), user).Variant);
    }

    // The README's table: the smallest rollout that includes the user, and the variant at 50/50 and 30/70.
    [Theory]
    [InlineData("new_onboarding_flow", "user-00001", 97.73, "first", "second")]
    [InlineData("new_onboarding_flow", "user-00002", 14.30, "first", "second")]
    [InlineData("new_onboarding_flow", "user-00003", 14.86, "first", "second")]
    [InlineData("checkout_v2", "alice", 34.74, "first", "second")]
    [InlineData("checkout_v2", "bob", 41.16, "first", "second")]
    [InlineData("checkout_v2", "Zoë", 41.05, "first", "first")]
    public void Evaluate_ReadmeVectors_InAtAndVariants(string key, string user, double inAt, string at50, string at30)
    {
        Assert.True(Eval(Flag(key, rollout: (decimal)inAt), user).On);
        Assert.False(Eval(Flag(key, rollout: (decimal)inAt - 0.01m), user).On);
        Assert.Equal(at50, Eval(Flag(key, variants: [new("first", 50), new("second", 50)]), user).Variant);
        Assert.Equal(at30, Eval(Flag(key, variants: [new("first", 30), new("second", 70)]), user).Variant);
    }

    [Fact]
    public void Evaluate_VariantBucketOnTheBoundary_GoesToTheNextVariant()
    {
        // Zoë's variant bucket is 178: 1.78 % is not enough for the first variant, 1.79 % is.
        Assert.Equal("b", Eval(Flag(variants: [new("a", 1.78m), new("b", 98.22m)]), "Zoë").Variant);
        Assert.Equal("a", Eval(Flag(variants: [new("a", 1.79m), new("b", 98.21m)]), "Zoë").Variant);
    }

    [Theory]
    [InlineData("equals", "beta", true)]
    [InlineData("equals", "Beta", false)]   // values compare as exact text
    [InlineData("in", "gamma", true)]
    [InlineData("in", "delta", false)]
    public void Evaluate_RuleOperators_MatchByTheirKind(string op, string cohort, bool matches)
    {
        var values = op == "equals" ? new[] { "beta" } : ["beta", "gamma"];
        var flag = Flag(rollout: 0, rules: [new("cohort", op, values)]);

        var result = Eval(flag, "alice", new() { ["cohort"] = cohort });

        Assert.Equal(matches ? EvaluationReason.TargetingMatch : EvaluationReason.Split, result.Reason);
    }

    [Fact]
    public void Compile_UnknownOperator_IsRefused() =>
        Assert.Throws<ArgumentException>(() => Flag(rules: [new("cohort", "contains", ["beta"])]));

    [Fact]
    public void Evaluate_Disabled_IsOffWithReasonDisabledEvenWhenARuleMatches()
    {
        var flag = Flag(enabled: false, rules: [new("cohort", "equals", ["beta"])]);
        var result = Eval(flag, "alice", new() { ["cohort"] = "beta" });
        Assert.Equal(new Evaluation(false, null, EvaluationReason.Disabled), result);
    }

    [Fact]
    public void Evaluate_OutsideTheRollout_IsOffWithoutVariant()
    {
        var flag = Flag(rollout: 10, variants: [new("control", 50), new("treatment", 50)]);
        // alice's rollout bucket 3473 is outside 10 %.
        Assert.Equal(new Evaluation(false, null, EvaluationReason.Split), Eval(flag, "alice"));
    }

    [Fact]
    public void Evaluate_BetaCohortAlwaysOnTenPercentOfTheRest_AsTheSeededFlag()
    {
        var flag = Flag("new_onboarding_flow", rollout: 10, rules: [new("cohort", "equals", ["beta"])]);
        // user-00001: rollout bucket 9772 (out of 10 %); user-00002: 1429 (out); none of the vectors is under 1000.
        Assert.Equal(new Evaluation(true, null, EvaluationReason.TargetingMatch), Eval(flag, "user-00001", new() { ["cohort"] = "beta" }));
        Assert.Equal(new Evaluation(false, null, EvaluationReason.Split), Eval(flag, "user-00001", new() { ["cohort"] = "general" }));
        Assert.Equal(new Evaluation(false, null, EvaluationReason.Split), Eval(flag, "user-00002"));
    }

    [Fact]
    public void Evaluate_InListRule_MatchesAnyValueAndTheFirstMatchingRuleWins()
    {
        var flag = Flag(rollout: 100, rules:
        [
            new("plan", "in", ["enterprise", "team"], Value: false),
            new("cohort", "equals", ["beta"]),
        ]);
        Assert.Equal(new Evaluation(false, null, EvaluationReason.TargetingMatch), Eval(flag, "alice", new() { ["plan"] = "team", ["cohort"] = "beta" }));
        Assert.Equal(new Evaluation(true, null, EvaluationReason.TargetingMatch), Eval(flag, "alice", new() { ["plan"] = "free", ["cohort"] = "beta" }));
        Assert.Equal(new Evaluation(true, null, EvaluationReason.Split), Eval(flag, "alice", new() { ["plan"] = "free" }));
    }

    [Fact]
    public void Evaluate_RuleValues_CompareExactly()
    {
        var flag = Flag(rollout: 0, rules: [new("cohort", "equals", ["beta"])]);
        Assert.False(Eval(flag, "alice", new() { ["cohort"] = "Beta" }).On);
        Assert.False(Eval(flag, "alice", new() { ["cohort"] = "beta " }).On);
        Assert.True(Eval(flag, "alice", new() { ["cohort"] = "beta" }).On);
    }

    [Fact]
    public void Evaluate_RuleWithForcedVariant_ServesItAndOtherwiseTheHashedVariant()
    {
        var variants = new FlagVariant[] { new("control", 50), new("treatment", 50) };
        var forced = Flag(rollout: 0, variants: variants, rules: [new("cohort", "equals", ["beta"], true, "treatment")]);
        Assert.Equal(new Evaluation(true, "treatment", EvaluationReason.TargetingMatch), Eval(forced, "Zoë", new() { ["cohort"] = "beta" }));
        var hashed = Flag(rollout: 0, variants: variants, rules: [new("cohort", "equals", ["beta"])]);
        Assert.Equal(new Evaluation(true, "control", EvaluationReason.TargetingMatch), Eval(hashed, "Zoë", new() { ["cohort"] = "beta" }));
    }

    [Fact]
    public void Evaluate_AttributeMissingFromTheContext_FallsBackToStoredTraits()
    {
        var flag = Flag(rollout: 0, rules: [new("cohort", "equals", ["beta"])]);
        var stored = new Dictionary<string, string> { ["cohort"] = "beta" };
        Assert.True(FlagEvaluator.Evaluate(flag, new EvaluationContext("alice", null, stored)).On);
        // The caller's context wins over the stored trait.
        Assert.False(FlagEvaluator.Evaluate(flag, new EvaluationContext("alice", new Dictionary<string, string> { ["cohort"] = "general" }, stored)).On);
    }

    [Fact]
    public void Evaluate_NoTargetingKey_IsMissingUnlessDisabledOrDecidedByARule()
    {
        var flag = Flag(rollout: 50, rules: [new("cohort", "equals", ["beta"])]);
        Assert.Equal(EvaluationReason.TargetingKeyMissing, Eval(flag, "").Reason);
        Assert.Equal(new Evaluation(true, null, EvaluationReason.TargetingMatch), Eval(flag, "", new() { ["cohort"] = "beta" }));
        Assert.Equal(EvaluationReason.Disabled, Eval(Flag(enabled: false), "").Reason);
    }

    [Fact]
    public void Evaluate_AgreesWithBucketingForManyUsers()
    {
        var flag = Flag("agree", rollout: 37.5m);
        for (var i = 0; i < 5000; i++)
        {
            var user = $"u-{i}-é";
            Assert.Equal(Bucketing.InRollout("agree", user, 3750), Eval(flag, user).On);
        }
        var longUser = new string('ü', 400);
        Assert.Equal(Bucketing.InRollout("agree", longUser, 3750), Eval(flag, longUser).On);
    }

    [Fact]
    public void Evaluate_RaisingTheRollout_NeverTurnsAUserOffAndLoweringNeverTurnsOneOn()
    {
        var steps = new[] { 0m, 0.01m, 1m, 5m, 10m, 10.5m, 25m, 50m, 75m, 99.99m, 100m };
        var users = Enumerable.Range(0, 20_000).Select(i => $"user-{i}").ToArray();
        var flags = steps.Select(s => Flag("monotonic", rollout: s)).ToArray();
        foreach (var user in users)
        {
            var on = flags.Select(f => Eval(f, user).On).ToArray();
            for (var i = 1; i < on.Length; i++)
                Assert.False(on[i - 1] && !on[i], $"{user} is on at {steps[i - 1]} % and off at {steps[i]} %");
        }
        Assert.All(users, u => Assert.False(Eval(flags[0], u).On));
        Assert.All(users, u => Assert.True(Eval(flags[^1], u).On));
    }

    [Fact]
    public void Evaluate_TenPercentOf100000Users_IsWithinHalfAPoint()
    {
        var flag = Flag("share_check", rollout: 10);
        var on = Enumerable.Range(0, 100_000).Count(i => Eval(flag, $"user-{i:D6}").On);
        Assert.InRange(on / 100_000.0, 0.095, 0.105);
    }

    [Fact]
    public void Evaluate_VariantShares_AreWithinOnePointOfTheWeightsAndIndependentOfTheRolloutBucket()
    {
        var weights = new FlagVariant[] { new("control", 20), new("a", 30), new("b", 50) };
        var flag = Flag("variant_check", rollout: 100, variants: weights);
        var counts = new Dictionary<string, int>();
        // Split users by rollout bucket: below 5000 (in a 50 % rollout) and above.
        var lowHalf = new Dictionary<string, int>();
        var lowCount = 0;
        const int n = 100_000;
        for (var i = 0; i < n; i++)
        {
            var user = $"user-{i:D6}";
            var v = Eval(flag, user).Variant!;
            counts[v] = counts.GetValueOrDefault(v) + 1;
            if (Bucketing.RolloutBucket("variant_check", user) < 5000)
            {
                lowHalf[v] = lowHalf.GetValueOrDefault(v) + 1;
                lowCount++;
            }
        }
        foreach (var w in weights)
        {
            Assert.InRange(counts[w.Key] * 100.0 / n, (double)w.Weight - 1, (double)w.Weight + 1);
            // Inside a 50 % rollout the variant mix is the same: the hashes are independent.
            Assert.InRange(lowHalf[w.Key] * 100.0 / lowCount, (double)w.Weight - 1, (double)w.Weight + 1);
        }
    }
}
