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
}
