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

    /// <summary>Control 100 of 1,000 against 160 of 1,000 with MDE +100% (n = 199 per variant, reached): d = 0.06 ± 1.959964·0.0149800 = [0.0306, 0.0894], z = 3.989, p = 0.0000662.</summary>
    [Fact]
    public async Task RunAsync_PoweredAndSignificant_NamesTheWinner()
    {
        var key = await _kit.ExperimentAsync("win", "2026-11-01T00:00:00Z", null, mde: 1.0);
        await _kit.CohortAsync(key, "control", 1000, 100, "2026-11-02T00:00:00Z");
        await _kit.CohortAsync(key, "treatment", 1000, 160, "2026-11-02T00:00:00Z");

        var r = (await _query.RunAsync(key))!;

        Assert.Equal(1, r.Progress);
        Assert.Equal(0, r.DaysLeft);
        Assert.Equal("Treatment beats control: 16.0% against 10.0% (+60% relative), 95% CI of the difference +3.1 to +8.9 points, p < 0.0001.", r.Verdict);
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
