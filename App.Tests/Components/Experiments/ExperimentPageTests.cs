using Bunit;
using Dashboard.Components.Pages.Experiments;
using Dashboard.Tests.Analytics.Experiments;

namespace Dashboard.Tests.Components.Experiments;

public sealed class ExperimentPageTests : PageTestBase
{
    private ExperimentTestKit Kit => _kit ??= new ExperimentTestKit(Factory);
    private ExperimentTestKit? _kit;

    [Fact]
    public async Task Render_RunningExperiment_ShowsVariantsLiftChartPowerAndHelp()
    {
        var start = DateTimeOffset.UtcNow.AddDays(-10);
        var key = await Kit.ExperimentAsync("page", start.ToString("O"), null, variants: [("control", 50), ("new_flow", 50)]);
        await Kit.CohortAsync(key, "control", 100, 10, start.AddDays(1).ToString("O"));
        await Kit.CohortAsync(key, "new_flow", 100, 20, start.AddDays(1).ToString("O"));

        var cut = RenderPage<ExperimentPage>(p => p.Add(x => x.Key, key));

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=verdict]")), Timeout);
        // 10% vs 20% of 100 each; at MDE +10% that is far from the 14,751 needed per variant.
        Assert.Contains("New_flow is ahead, but only 100 of 14,751 users per variant have been exposed: keep running.", cut.Find("[data-testid=verdict]").TextContent);
        var rows = cut.FindAll("[data-testid=variants] tbody tr");
        Assert.Contains("control (control)", rows[0].TextContent);
        Assert.Contains("10.0%", rows[0].TextContent);
        Assert.Contains("20.0%", rows[1].TextContent);
        Assert.Contains("+10.0 pts", rows[1].TextContent);
        Assert.Contains("+100%", rows[1].TextContent);
        Assert.Single(cut.FindAll("[data-testid=lift-chart] circle"));
        Assert.NotNull(cut.Find("[data-testid=conversion-chart] polyline"));
        Assert.Contains("100 of 14,751 users in the smallest variant", cut.Find("[data-testid=progress]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=srm-warning]"));
        // Admins can stop a running experiment.
        Assert.NotNull(cut.Find("[data-testid=stop]"));
        var help = cut.Find("[data-testid=help]").TextContent;
        Assert.Contains("two-proportion z-test", help);
        Assert.Contains("Wald confidence interval", help);
        Assert.Contains("Beta(1, 1)", help);
    }

    [Fact]
    public async Task Render_ImbalancedSplitAndOverlap_WarnsLoudly()
    {
        var start = DateTimeOffset.UtcNow.AddDays(-5).ToString("O");
        var key = await Kit.ExperimentAsync("srm-page", start, null);
        var other = await Kit.ExperimentAsync("other-page", start, null);
        await Kit.CohortAsync(key, "control", 100, 10, start);
        await Kit.CohortAsync(key, "treatment", 200, 20, start);
        await Kit.ExposeAsync(key, "shared", "control", DateTimeOffset.UtcNow.AddDays(-1).ToString("O"));
        await Kit.ExposeAsync(other, "shared", "treatment", DateTimeOffset.UtcNow.AddDays(-1).ToString("O"));

        var cut = RenderPage<ExperimentPage>(p => p.Add(x => x.Key, key));

        cut.WaitForAssertion(() => Assert.Contains("Sample ratio mismatch", cut.Find("[data-testid=srm-warning]").TextContent), Timeout);
        Assert.Contains("101 / 200", cut.Find("[data-testid=srm-warning]").TextContent);
        Assert.StartsWith("Sample ratio mismatch", cut.Find("[data-testid=verdict]").TextContent.Trim());
        Assert.Contains(other, cut.Find("[data-testid=overlap-warning]").TextContent);
    }

    [Fact]
    public void Render_UnknownKey_SaysNotFound()
    {
        var cut = RenderPage<ExperimentPage>(p => p.Add(x => x.Key, "no-such-experiment"));

        cut.WaitForAssertion(() => Assert.Contains("No experiment", cut.Find("[data-testid=not-found]").TextContent), Timeout);
    }

    [Fact]
    public async Task Render_Viewer_HasNoStartOrStop()
    {
        var key = await Kit.ExperimentAsync("viewer-page", DateTimeOffset.UtcNow.AddDays(-1).ToString("O"), null);
        SignInAsViewer();

        var cut = RenderPage<ExperimentPage>(p => p.Add(x => x.Key, key));

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=verdict]")), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=stop]"));
        Assert.Empty(cut.FindAll("[data-testid=start]"));
    }

    [Fact]
    public async Task Render_List_ShowsStatusExposuresLeaderAndVerdict()
    {
        var start = DateTimeOffset.UtcNow.AddDays(-3).ToString("O");
        var key = await Kit.ExperimentAsync("listed-page", start, null);
        await Kit.CohortAsync(key, "control", 30, 3, start);
        await Kit.CohortAsync(key, "treatment", 30, 6, start);

        var cut = RenderPage<ExperimentsPage>();

        cut.WaitForAssertion(() =>
        {
            var row = Assert.Single(cut.FindAll("[data-testid=experiments] tbody tr"), r => r.TextContent.Contains(key));
            Assert.Contains("running", row.TextContent);
            Assert.Contains("60", row.TextContent);
            Assert.Contains("treatment", row.TextContent);
            Assert.Contains("keep running", row.TextContent);
        }, Timeout);
    }

    [Fact]
    public async Task Render_GuardrailMovedTheWrongWay_ShowsTheWarningTheSequentialIntervalAndTheMetric()
    {
        var start = DateTimeOffset.UtcNow.AddDays(-10);
        var key = await Kit.ExperimentAsync("guard-page", start.ToString("O"), null);
        await Kit.UpdateAsync(key, e => e.Metrics = """[ { "event": "APP_ERROR", "kind": "guardrail", "direction": "decrease" } ]""");
        var control = await Kit.CohortAsync(key, "control", 2000, 200, start.AddDays(1).ToString("O"));
        var treatment = await Kit.CohortAsync(key, "treatment", 2000, 200, start.AddDays(1).ToString("O"));
        await Kit.EventsAsync(control.Take(20), "APP_ERROR", start.AddDays(2).ToString("O"));
        await Kit.EventsAsync(treatment.Take(300), "APP_ERROR", start.AddDays(2).ToString("O"));

        var cut = RenderPage<ExperimentPage>(p => p.Add(x => x.Key, key));

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=guardrail-warning]")), Timeout);
        // 20 vs 300 of 2,000: always-valid interval +11.4 to +16.6 points (see ExperimentResultsQueryTests).
        Assert.Contains("Guardrail APP_ERROR rose in treatment: 15.0% of users against 1.0% in control", cut.Find("[data-testid=guardrail-warning]").TextContent);
        Assert.StartsWith("Warning: Guardrail APP_ERROR rose", cut.Find("[data-testid=verdict]").TextContent.Trim());
        Assert.Contains("mud-alert-text-error", cut.Find("[data-testid=verdict]").ClassName);
        var metrics = cut.Find("[data-testid=metrics]").TextContent;
        Assert.Contains("APP_ERROR (guardrail, should decrease)", metrics);
        Assert.Contains("moved the wrong way", metrics);
        Assert.Contains("+11.4 pts to +16.6 pts", metrics);
        // The goal: 10% against 10%, its always-valid interval beside the fixed-horizon one.
        Assert.Contains("pts to", cut.Find("[data-testid=variants] [data-testid=sequential]").TextContent);
        Assert.Contains("sequential analysis", cut.Find("[data-testid=analysis]").TextContent);
        Assert.Contains("CUPED off: no exposed user had any activity in the 14 days before exposure", cut.Find("[data-testid=cuped]").TextContent);
        var help = cut.Find("[data-testid=help]").TextContent;
        Assert.Contains("normal-mixture confidence sequence", help);
        Assert.Contains("t* = 10,000", help);
        Assert.Contains("Holm", help);
    }

    [Fact]
    public async Task Render_SeveralTreatments_SaysTheGoalIsHolmCorrected()
    {
        var start = DateTimeOffset.UtcNow.AddDays(-5);
        var key = await Kit.ExperimentAsync("holm-page", start.ToString("O"), null, variants: [("control", 34), ("a", 33), ("b", 33)]);
        await Kit.CohortAsync(key, "control", 1000, 100, start.AddDays(1).ToString("O"));
        await Kit.CohortAsync(key, "a", 1000, 152, start.AddDays(1).ToString("O"));
        await Kit.CohortAsync(key, "b", 1000, 153, start.AddDays(1).ToString("O"));

        var cut = RenderPage<ExperimentPage>(p => p.Add(x => x.Key, key));

        cut.WaitForAssertion(() => Assert.Contains("Holm-corrected", cut.Find("[data-testid=correction]").TextContent), Timeout);
        Assert.Contains("With 2 treatments", cut.Find("[data-testid=correction]").TextContent);
        // Each interval alone excludes 0, but after the correction neither is significant (no ✓).
        Assert.All(cut.FindAll("[data-testid=variants] [data-testid=sequential]"), td => Assert.DoesNotContain("✓", td.TextContent));
        Assert.Contains("keep running", cut.Find("[data-testid=verdict]").TextContent);
    }
}
