using Dashboard.Analytics.Experiments;
using Dashboard.Data;
using Dashboard.Tests.TestSupport;

namespace Dashboard.Tests.Analytics.Experiments;

public sealed class ExperimentResultsQueryTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = AnalyticsData.T("2026-11-20T12:00:00Z");
    private readonly DashboardFactory _factory = new();
    private ExperimentTestKit _kit = default!;
    private ExperimentResultsQuery _query = default!;

    public Task InitializeAsync()
    {
        _kit = new ExperimentTestKit(_factory);
        _query = new ExperimentResultsQuery(_factory.Db(), new FixedClock(Now));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    /// <summary>
    /// The experiment runs [11-01, 11-15). Control: c1 converts after exposure; c2 converted only
    /// before it; c3 only after the end; c4 was exposed before the start (not counted at all);
    /// first was exposed to control, then to treatment (ignored), and converts. Treatment: t1
    /// converts at the very instant of exposure; t2 converts twice (counted once); t3 never;
    /// t4 is exposed at the end instant (outside). Another event name never converts.
    /// Control 2 of 4, treatment 2 of 3:
    ///   lift = 2/3 − 1/2 = 0.1666667, relative = (2/3)/(1/2) − 1 = 0.3333333;
    ///   pooled p̂ = 4/7, SE₀ = √(4/7·3/7·(1/4 + 1/3)) = 0.3779645, z = 0.4409586, p = 0.6592430;
    ///   unpooled SE = √(0.25/4 + (2/9)/3) = 0.3695593, CI = 0.1666667 ± 0.7243229;
    ///   chance to beat control (Beta(3,3) against Beta(3,2)) = 0.6428571 = 9/14.
    /// </summary>
    [Fact]
    public async Task RunAsync_HandBuiltExperiment_CountsFirstExposureAndConversionsInsideTheDates()
    {
        var key = await _kit.ExperimentAsync("counting", "2026-11-01T00:00:00Z", "2026-11-15T00:00:00Z");
        await _kit.ExposeAsync(key, "c1", "control", "2026-11-02T10:00:00Z");
        await _kit.EventAsync("c1", "PROJECT_CREATED", "2026-11-03T10:00:00Z");
        await _kit.ExposeAsync(key, "c2", "control", "2026-11-02T10:00:00Z");
        await _kit.EventAsync("c2", "PROJECT_CREATED", "2026-11-01T10:00:00Z");
        await _kit.ExposeAsync(key, "c3", "control", "2026-11-03T10:00:00Z");
        await _kit.EventAsync("c3", "PROJECT_CREATED", "2026-11-16T10:00:00Z");
        await _kit.EventAsync("c3", "APP_OPENED", "2026-11-04T10:00:00Z");
        await _kit.ExposeAsync(key, "c4", "control", "2026-10-30T10:00:00Z");
        await _kit.EventAsync("c4", "PROJECT_CREATED", "2026-11-05T10:00:00Z");
        await _kit.ExposeAsync(key, "first", "control", "2026-11-06T10:00:00Z");
        await _kit.ExposeAsync(key, "first", "treatment", "2026-11-07T10:00:00Z");
        await _kit.EventAsync("first", "PROJECT_CREATED", "2026-11-08T10:00:00Z");
        await _kit.ExposeAsync(key, "t1", "treatment", "2026-11-04T10:00:00Z");
        await _kit.EventAsync("t1", "PROJECT_CREATED", "2026-11-04T10:00:00Z");
        await _kit.ExposeAsync(key, "t2", "treatment", "2026-11-05T10:00:00Z");
        await _kit.EventAsync("t2", "PROJECT_CREATED", "2026-11-06T10:00:00Z");
        await _kit.EventAsync("t2", "PROJECT_CREATED", "2026-11-07T10:00:00Z");
        await _kit.ExposeAsync(key, "t3", "treatment", "2026-11-05T10:00:00Z");
        await _kit.ExposeAsync(key, "t4", "treatment", "2026-11-15T00:00:00Z");
        await _kit.EventAsync("t4", "PROJECT_CREATED", "2026-11-15T01:00:00Z");

        var r = (await _query.RunAsync(key))!;

        var control = r.Variants[0];
        var treatment = r.Variants[1];
        Assert.Equal(("control", 4L, 2L), (control.Key, control.Exposed, control.Converted));
        Assert.Equal(("treatment", 3L, 2L), (treatment.Key, treatment.Exposed, treatment.Converted));
        Assert.Equal(0.5, control.Rate!.Value, 12);
        Assert.Null(control.AbsoluteLift);
        Assert.Null(control.PValue);
        Assert.Equal(1 / 6.0, treatment.AbsoluteLift!.Value, 9);
        Assert.Equal(1 / 3.0, treatment.RelativeLift!.Value, 9);
        Assert.Equal(0.6592430037, treatment.PValue!.Value, 9);
        Assert.Equal(-0.5576562458, treatment.Ci95![0], 9);
        Assert.Equal(0.8909895791, treatment.Ci95[1], 9);
        Assert.Equal(9 / 14.0, treatment.ChanceToBeatControl!.Value, 9);
        Assert.Equal("treatment", r.LeadingVariant);
        // 4 and 3 against 50/50 is no mismatch; 14 days ran (start to end, the end is before now).
        Assert.False(r.Srm.Mismatch);
        Assert.Equal(14, r.DaysRunning);
    }

    [Fact]
    public async Task RunAsync_GoalFilter_CountsOnlyMatchingGoalEvents()
    {
        var key = await _kit.ExperimentAsync("filter", "2026-11-01T00:00:00Z", null, filter: new { templateUsed = "kanban", size = 3 });
        await _kit.ExposeAsync(key, "a", "control", "2026-11-02T00:00:00Z");
        await _kit.EventAsync("a", "PROJECT_CREATED", "2026-11-03T00:00:00Z", new { templateUsed = "blank", size = 3 });
        await _kit.ExposeAsync(key, "b", "control", "2026-11-02T00:00:00Z");
        await _kit.EventAsync("b", "PROJECT_CREATED", "2026-11-03T00:00:00Z", new { templateUsed = "kanban", size = 3.0 });
        await _kit.ExposeAsync(key, "c", "treatment", "2026-11-02T00:00:00Z");
        await _kit.EventAsync("c", "PROJECT_CREATED", "2026-11-03T00:00:00Z", new { templateUsed = "kanban" });
        await _kit.ExposeAsync(key, "d", "treatment", "2026-11-02T00:00:00Z");
        await _kit.EventAsync("d", "PROJECT_CREATED", "2026-11-03T00:00:00Z", new { templateUsed = "blank", size = 3 });
        await _kit.EventAsync("d", "PROJECT_CREATED", "2026-11-04T00:00:00Z", new { templateUsed = "kanban", size = 3 });

        var r = (await _query.RunAsync(key))!;

        // a: wrong template; b: matches (3.0 equals 3); c: size missing; d: its second project matches.
        Assert.Equal(1, r.Variants[0].Converted);
        Assert.Equal(1, r.Variants[1].Converted);
        // Open-ended: it has run from the start until now, 19.5 days.
        Assert.Equal(19.5, r.DaysRunning);
    }

    [Fact]
    public async Task RunAsync_NoExposures_SaysSoWithoutNumbers()
    {
        var key = await _kit.ExperimentAsync("empty", "2026-11-19T00:00:00Z", "2026-12-19T00:00:00Z");

        var r = (await _query.RunAsync(key))!;

        Assert.All(r.Variants, v => Assert.Equal(0, v.Exposed));
        Assert.All(r.Variants, v => Assert.Null(v.Rate));
        Assert.Equal("no users exposed to control", r.Variants[1].Note);
        Assert.Null(r.Srm.PValue);
        Assert.Null(r.SampleSizePerVariant);
        Assert.Equal("No users have been exposed yet: keep running.", r.Verdict);
    }

    [Fact]
    public async Task RunAsync_ImbalancedSplit_FlagsSampleRatioMismatch()
    {
        var key = await _kit.ExperimentAsync("srm", "2026-11-01T00:00:00Z", null);
        // 1,000 against 1,200 at 50/50: χ² = 18.18, p = 0.0000201.
        await _kit.CohortAsync(key, "control", 1000, 100, "2026-11-02T00:00:00Z");
        await _kit.CohortAsync(key, "treatment", 1200, 150, "2026-11-02T00:00:00Z");

        var r = (await _query.RunAsync(key))!;

        Assert.True(r.Srm.Mismatch);
        Assert.Equal(0.0000200787, r.Srm.PValue!.Value, 10);
        Assert.StartsWith("Sample ratio mismatch (p < 0.0001)", r.Verdict);
    }

    /// <summary>
    /// Control 100 of 1,000, treatment 120 of 1,000 after 10 days, MDE +10%: 14,751 users per
    /// variant needed (SampleSizeTests), progress 1,000/14,751, 100 users a day per variant:
    /// ⌈13,751 / 100⌉ = 138 days left, past the end in 20 days.
    /// </summary>
    [Fact]
    public async Task RunAsync_UnderPowered_SaysWhoIsAheadAndToKeepRunning()
    {
        var key = await _kit.ExperimentAsync("power", "2026-11-10T12:00:00Z", "2026-12-10T12:00:00Z");
        await _kit.CohortAsync(key, "control", 1000, 100, "2026-11-11T00:00:00Z");
        await _kit.CohortAsync(key, "treatment", 1000, 120, "2026-11-11T00:00:00Z");

        var r = (await _query.RunAsync(key))!;

        Assert.Equal(14_751, r.SampleSizePerVariant);
        Assert.Equal(1000 / 14_751.0, r.Progress!.Value, 9);
        Assert.Equal(10, r.DaysRunning);
        Assert.Equal(138, r.DaysLeft);
        Assert.Equal("Treatment is ahead, but only 1,000 of 14,751 users per variant have been exposed: keep running. " +
                     "About 138 more days at current traffic, past the planned end (2026-12-10): extend it or accept a larger detectable effect.",
            r.Verdict);
    }

    /// <summary>
    /// Control 100 of 1,000 against 160 of 1,000 with MDE +100% (n = 199 per variant, reached), fixed horizon:
    /// d = 0.06 ± 1.959964·0.0149800 = [0.0306, 0.0894], z = 3.989, p = 0.0000662.
    /// </summary>
    [Fact]
    public async Task RunAsync_FixedHorizonPoweredAndSignificant_NamesTheWinner()
    {
        var key = await _kit.ExperimentAsync("win", "2026-11-01T00:00:00Z", null, mde: 1.0);
        await _kit.UpdateAsync(key, e => e.FixedHorizon = true);
        await _kit.CohortAsync(key, "control", 1000, 100, "2026-11-02T00:00:00Z");
        await _kit.CohortAsync(key, "treatment", 1000, 160, "2026-11-02T00:00:00Z");

        var r = (await _query.RunAsync(key))!;

        Assert.Equal(1, r.Progress);
        Assert.Equal(0, r.DaysLeft);
        Assert.Equal("Treatment beats control: 16.0% against 10.0% (+60% relative), 95% CI of the difference +3.1 to +8.9 points, p < 0.0001.", r.Verdict);
    }

    /// <summary>
    /// The same 100 of 1,000 against 160 of 1,000, sized for +10% (14,751 per variant, far away):
    /// the always-valid interval [0.0096090, 0.1103910] (see ConfidenceSequenceTests) already
    /// excludes 0, so the sequential verdict names the winner; the fixed-horizon one keeps running.
    /// </summary>
    [Fact]
    public async Task RunAsync_SequentialIntervalExcludesZero_NamesTheWinnerBeforeThePlannedSize()
    {
        var key = await _kit.ExperimentAsync("early", "2026-11-01T00:00:00Z", null);
        await _kit.CohortAsync(key, "control", 1000, 100, "2026-11-02T00:00:00Z");
        await _kit.CohortAsync(key, "treatment", 1000, 160, "2026-11-02T00:00:00Z");

        var r = (await _query.RunAsync(key))!;

        Assert.Equal("sequential", r.Analysis);
        var s = r.Variants[1].Sequential!;
        Assert.Equal(0.0096090067795126, s.Ci95[0], 10);
        Assert.Equal(0.1103909932204874, s.Ci95[1], 10);
        Assert.True(s.Significant);
        Assert.Equal("Treatment beats control: 16.0% against 10.0% (+60% relative), always-valid 95% interval of the difference +1.0 to +11.0 points. " +
                     "The sequential test stays valid however often it is read, so it is safe to stop.", r.Verdict);

        await _kit.UpdateAsync(key, e => e.FixedHorizon = true);
        var fixedHorizon = (await _query.RunAsync(key))!;
        Assert.Equal("fixedHorizon", fixedHorizon.Analysis);
        Assert.StartsWith("Treatment is ahead, but only 1,000 of 14,751 users per variant have been exposed: keep running.", fixedHorizon.Verdict);
    }

    /// <summary>
    /// Two treatments, 152 and 153 of 1,000 against control's 100 of 1,000: alone, each always-valid
    /// interval excludes 0 (always-valid p 0.03638 and 0.03179). Holm across the two: 2·0.03179 =
    /// 0.0636, then max(0.0636, 0.03638) = 0.0636, so neither is significant and the verdict keeps
    /// running. The fixed-horizon p-values are corrected the same way.
    /// </summary>
    [Fact]
    public async Task RunAsync_SeveralTreatments_HolmCorrectsTheGoal()
    {
        var key = await _kit.ExperimentAsync("holm", "2026-11-01T00:00:00Z", null,
            variants: [("control", 34), ("a", 33), ("b", 33)]);
        await _kit.CohortAsync(key, "control", 1000, 100, "2026-11-02T00:00:00Z");
        await _kit.CohortAsync(key, "a", 1000, 152, "2026-11-02T00:00:00Z");
        await _kit.CohortAsync(key, "b", 1000, 153, "2026-11-02T00:00:00Z");

        var r = (await _query.RunAsync(key))!;

        Assert.Equal("holm", r.Correction);
        var (a, b) = (r.Variants[1], r.Variants[2]);
        Assert.Equal(0.03638, a.Sequential!.PValue, 5);
        Assert.Equal(0.03179, b.Sequential!.PValue, 5);
        Assert.True(a.Sequential.Ci95[0] > 0 && b.Sequential.Ci95[0] > 0);
        Assert.False(a.Sequential.Significant);
        Assert.False(b.Sequential.Significant);
        var expected = Dashboard.Analytics.Statistics.Holm.Adjust([a.PValue, b.PValue]);
        Assert.Equal(expected[0], a.AdjustedPValue);
        Assert.Equal(2 * b.PValue!.Value, b.AdjustedPValue!.Value, 12);
        Assert.Contains("keep running", r.Verdict);
        Assert.DoesNotContain("beats control", r.Verdict);
    }

    [Fact]
    public async Task RunAsync_OneTreatment_HasNoCorrection()
    {
        var key = await _kit.ExperimentAsync("single", "2026-11-01T00:00:00Z", null);
        await _kit.CohortAsync(key, "control", 1000, 100, "2026-11-02T00:00:00Z");
        await _kit.CohortAsync(key, "treatment", 1000, 153, "2026-11-02T00:00:00Z");

        var r = (await _query.RunAsync(key))!;

        Assert.Equal("none", r.Correction);
        Assert.Equal(r.Variants[1].PValue, r.Variants[1].AdjustedPValue);
        Assert.True(r.Variants[1].Sequential!.Significant);
    }

    /// <summary>
    /// Guardrail APP_ERROR (should decrease): 20 of 2,000 control users against 300 of 2,000
    /// treatment users after exposure. d = 0.14, V = 0.01·0.99/2000 + 0.15·0.85/2000 = 0.0000687,
    /// t = 4,000, tρ² = 3.1744618, h = √(2V(1 + 1/tρ²)·ln(√(tρ² + 1)/0.05)) = 0.0258916, so the
    /// always-valid interval [0.1141084, 0.1658916] excludes 0 the wrong way. 500 control users'
    /// errors before their exposure do not count.
    /// A secondary metric with a property filter moving down is reported but never warns.
    /// </summary>
    [Fact]
    public async Task RunAsync_GuardrailMovesTheWrongWay_WarnsInTheVerdict()
    {
        var key = await _kit.ExperimentAsync("guard", "2026-11-01T00:00:00Z", null);
        await _kit.UpdateAsync(key, e => e.Metrics = """
            [ { "event": "APP_ERROR", "kind": "guardrail", "direction": "decrease" },
              { "event": "FEATURE_ENGAGED", "where": { "featureName": "export" }, "kind": "secondary", "direction": "increase" } ]
            """);
        var control = await _kit.CohortAsync(key, "control", 2000, 200, "2026-11-02T00:00:00Z");
        var treatment = await _kit.CohortAsync(key, "treatment", 2000, 200, "2026-11-02T00:00:00Z");
        await _kit.EventsAsync(control.Take(20), "APP_ERROR", "2026-11-03T00:00:00Z");
        await _kit.EventsAsync(treatment.Take(300), "APP_ERROR", "2026-11-03T00:00:00Z");
        await _kit.EventsAsync(control.Skip(1000).Take(500), "APP_ERROR", "2026-11-01T12:00:00Z"); // before exposure
        await _kit.EventsAsync(control.Take(400), "FEATURE_ENGAGED", "2026-11-03T00:00:00Z", new { featureName = "export" });
        await _kit.EventsAsync(treatment.Take(100), "FEATURE_ENGAGED", "2026-11-03T00:00:00Z", new { featureName = "export" });
        await _kit.EventsAsync(treatment.Skip(100).Take(900), "FEATURE_ENGAGED", "2026-11-03T00:00:00Z", new { featureName = "other" });

        var r = (await _query.RunAsync(key))!;

        var guard = r.Metrics[0];
        Assert.Equal(("APP_ERROR", "guardrail", "decrease"), (guard.Event, guard.Kind, guard.Direction));
        Assert.Equal([20L, 300L], guard.Variants.Select(v => v.Converted));
        Assert.Equal(0.01, guard.Variants[0].Rate!.Value, 12);
        Assert.Equal(0.14, guard.Variants[1].AbsoluteLift!.Value, 12);
        Assert.Equal(0.11410841232382159, guard.Variants[1].Sequential!.Ci95[0], 10);
        Assert.Equal(0.16589158767617845, guard.Variants[1].Sequential!.Ci95[1], 10);
        Assert.True(guard.WrongWay);
        var secondary = r.Metrics[1];
        Assert.Equal([400L, 100L], secondary.Variants.Select(v => v.Converted));
        Assert.True(secondary.Variants[1].Sequential!.Ci95[1] < 0);
        Assert.False(secondary.WrongWay);
        var warning = Assert.Single(r.GuardrailWarnings);
        Assert.Equal("Guardrail APP_ERROR rose in treatment: 15.0% of users against 1.0% in control " +
                     "(always-valid 95% interval of the difference +11.4 to +16.6 points); it should decrease.", warning);
        Assert.StartsWith("Warning: " + warning + " ", r.Verdict);
    }

    [Fact]
    public async Task RunAsync_GuardrailMovesTheRightWay_DoesNotWarn()
    {
        var key = await _kit.ExperimentAsync("guard-ok", "2026-11-01T00:00:00Z", null);
        await _kit.UpdateAsync(key, e => e.Metrics = """[ { "event": "APP_ERROR", "kind": "guardrail", "direction": "decrease" } ]""");
        var control = await _kit.CohortAsync(key, "control", 2000, 200, "2026-11-02T00:00:00Z");
        var treatment = await _kit.CohortAsync(key, "treatment", 2000, 200, "2026-11-02T00:00:00Z");
        await _kit.EventsAsync(control.Take(300), "APP_ERROR", "2026-11-03T00:00:00Z");
        await _kit.EventsAsync(treatment.Take(20), "APP_ERROR", "2026-11-03T00:00:00Z");

        var r = (await _query.RunAsync(key))!;

        Assert.False(r.Metrics[0].WrongWay);
        Assert.Empty(r.GuardrailWarnings);
        Assert.DoesNotContain("Warning", r.Verdict);
    }

    /// <summary>
    /// The CUPED data set of CupedTests through the store: x = events (any name) in the 14 days
    /// before exposure, y = converted. Boundaries: an event exactly 14 days before the exposure
    /// counts; one 1 ms earlier, and one at the exposure instant, do not. Expected θ =
    /// 0.1673306773, adjusted lift 0.2496679947, interval [−0.2378494143, 0.7371854037], variance
    /// reduced 16.47%.
    /// </summary>
    [Fact]
    public async Task RunAsync_PreExposureActivity_AdjustsTheLiftWithCuped()
    {
        var key = await _kit.ExperimentAsync("cuped", "2026-11-01T00:00:00Z", null);
        (string Variant, int X, bool Y)[] users =
        [
            ("control", 0, false), ("control", 1, false), ("control", 2, true), ("control", 3, true), ("control", 1, false), ("control", 0, false),
            ("treatment", 0, false), ("treatment", 2, true), ("treatment", 4, true), ("treatment", 1, true), ("treatment", 3, false), ("treatment", 0, true),
        ];
        for (var i = 0; i < users.Length; i++)
        {
            var (variant, x, y) = users[i];
            await _kit.ExposeAsync(key, $"u{i}", variant, "2026-11-15T00:00:00Z");
            for (var k = 0; k < x; k++)
                await _kit.EventAsync($"u{i}", "PAGE_VIEWED", k == 0 ? "2026-11-01T00:00:00Z" : $"2026-11-1{k}T00:00:00Z");
            await _kit.EventAsync($"u{i}", "PAGE_VIEWED", "2026-10-31T23:59:59.999Z"); // 14 days + 1 ms before: outside
            await _kit.EventAsync($"u{i}", "PAGE_VIEWED", "2026-11-15T00:00:00Z"); // at exposure: not before it
            if (y) await _kit.EventAsync($"u{i}", "PROJECT_CREATED", "2026-11-16T00:00:00Z");
        }

        var r = (await _query.RunAsync(key))!;

        Assert.Null(r.CupedNote);
        var c = r.Variants[1].Cuped!;
        Assert.Equal(0.16733067729083664, c.Theta, 10);
        Assert.Equal(0.249667994687915, c.AbsoluteLift, 10);
        Assert.Equal(-0.23784941434938806, c.Ci95[0], 10);
        Assert.Equal(0.7371854037252181, c.Ci95[1], 10);
        Assert.Equal(0.16474738496214358, c.VarianceReduction, 10);
        Assert.Null(r.Variants[0].Cuped);
    }

    [Fact]
    public async Task RunAsync_NoPreExposureActivity_CupedIsOffWithTheReason()
    {
        var key = await _kit.ExperimentAsync("no-cuped", "2026-11-01T00:00:00Z", null);
        await _kit.CohortAsync(key, "control", 50, 5, "2026-11-02T00:00:00Z");
        await _kit.CohortAsync(key, "treatment", 50, 9, "2026-11-02T00:00:00Z");

        var r = (await _query.RunAsync(key))!;

        Assert.Null(r.Variants[1].Cuped);
        Assert.Equal("no exposed user had any activity in the 14 days before exposure", r.CupedNote);
    }

    [Fact]
    public async Task RunAsync_AnotherRunningExperimentSharesUsers_ReportsTheOverlap()
    {
        var key = await _kit.ExperimentAsync("main", "2026-11-01T00:00:00Z", null);
        var other = await _kit.ExperimentAsync("other", "2026-11-01T00:00:00Z", null);
        var stopped = await _kit.ExperimentAsync("old", "2026-10-01T00:00:00Z", "2026-10-20T00:00:00Z", ExperimentState.Stopped);
        foreach (var u in new[] { "u1", "u2", "u3" }) await _kit.ExposeAsync(key, u, "control", "2026-11-02T00:00:00Z");
        foreach (var u in new[] { "u1", "u2", "u9" }) await _kit.ExposeAsync(other, u, "treatment", "2026-11-02T00:00:00Z");
        foreach (var u in new[] { "u1", "u3" }) await _kit.ExposeAsync(stopped, u, "control", "2026-10-02T00:00:00Z");

        var r = (await _query.RunAsync(key))!;

        var overlap = Assert.Single(r.Overlaps);
        Assert.Equal((other, 2L), (overlap.ExperimentKey, overlap.Users));
    }

    [Fact]
    public async Task RunAsync_Timeline_IsCumulativePerDay()
    {
        var key = await _kit.ExperimentAsync("timeline", "2026-11-17T00:00:00Z", null);
        await _kit.ExposeAsync(key, "a", "control", "2026-11-17T10:00:00Z");
        await _kit.ExposeAsync(key, "b", "treatment", "2026-11-17T11:00:00Z");
        await _kit.EventAsync("b", "PROJECT_CREATED", "2026-11-18T09:00:00Z");
        await _kit.ExposeAsync(key, "c", "control", "2026-11-19T10:00:00Z");
        await _kit.EventAsync("c", "PROJECT_CREATED", "2026-11-19T11:00:00Z");

        var r = (await _query.RunAsync(key))!;

        // 11-17 .. 11-20 (today): 4 points.
        Assert.Equal(["2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"], r.Timeline.Select(p => p.Day.ToString("yyyy-MM-dd")));
        Assert.Equal([1L, 1L], r.Timeline[0].Exposed);
        Assert.Equal([0L, 0L], r.Timeline[0].Converted);
        Assert.Equal([0L, 1L], r.Timeline[1].Converted);
        Assert.Equal([2L, 1L], r.Timeline[2].Exposed);
        Assert.Equal([0.5, 1.0], r.Timeline[3].Rate);
    }

    [Fact]
    public async Task RunAsync_UnknownKey_IsNull()
    {
        Assert.Null(await _query.RunAsync("no-such-experiment"));
    }
}
