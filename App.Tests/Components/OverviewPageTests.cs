using Bunit;
using Dashboard.Components.Pages;
using Dashboard.Operations;
using Dashboard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Components;

public sealed class OverviewPageTests : PageTestBase
{
    [Fact]
    public void Render_NoEvents_ShowsEmptyState()
    {
        var cut = RenderPage<OverviewPage>();

        cut.WaitForAssertion(() => Assert.Contains("No events yet", cut.Find("[data-testid=empty-state]").TextContent), Timeout);
    }

    [Fact]
    public async Task Render_EventsStored_ShowsTotalsAndTopEvents()
    {
        await PostAsync(
            new { @event = "APP_OPENED", userId = "o-1" },
            new { @event = "APP_OPENED", userId = "o-2" },
            new { @event = "NOT_IN_TAXONOMY", userId = "o-3" });

        var cut = RenderPage<OverviewPage>();

        cut.WaitForAssertion(() =>
        {
            Assert.Empty(cut.FindAll("[data-testid=empty-state]"));
            Assert.Equal("2", Tile(cut, "Events stored"));
            Assert.Equal("1", Tile(cut, "Quarantined"));
            var top = Assert.Single(cut.FindAll("[data-testid=top-events] tbody tr"));
            Assert.StartsWith("APP_OPENED", top.TextContent.Trim());
        }, Timeout);
    }

    [Fact]
    public async Task Render_EventArrivesWhileOpen_UpdatesLive()
    {
        var cut = RenderPage<OverviewPage>();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=empty-state]")), Timeout);

        await PostAsync(new { @event = "APP_OPENED", userId = "live-1" });

        cut.WaitForAssertion(() => Assert.Equal("1", Tile(cut, "Events stored")), Timeout);
    }

    [Fact]
    public async Task Render_AfterIngestFlagsAndAnInsight_ShowsTheFiguresOfMetrics()
    {
        var before = Factory.Services.GetRequiredService<OperationsFigures>().Read();
        var id = $"ops-{Guid.NewGuid():N}";
        await PostAsync(
            new { @event = "APP_OPENED", userId = "ops-1", messageId = id },
            new { @event = "APP_OPENED", userId = "ops-1", messageId = id },
            new { @event = "APP_OPENED", userId = "ops-2" },
            new { @event = "NOT_IN_TAXONOMY", userId = "ops-3" });
        using (var reader = Factory.CreateReaderClient())
            (await reader.GetAsync($"/api/insights/activity?from={Today:yyyy-MM-dd}&to={Today:yyyy-MM-dd}")).EnsureSuccessStatusCode();
        using (var client = Factory.CreateIngestClient(DashboardFactory.ClientKey))
            (await client.PostAsync("/ofrep/v1/evaluate/flags/new_onboarding_flow",
                System.Net.Http.Json.JsonContent.Create(new { context = new { targetingKey = "ops-1" } }))).EnsureSuccessStatusCode();

        var cut = RenderPage<OverviewPage>();

        cut.WaitForAssertion(() =>
        {
            string Cell(string id, int column) => cut.Find($"[data-testid=ops-{id}]").Children[column].TextContent.Trim();
            double Number(string text) => double.Parse(text, System.Globalization.NumberStyles.Any, System.Globalization.CultureInfo.CurrentCulture);
            Assert.True(Number(Cell("accepted", 2)) >= before.Accepted + 2, Cell("accepted", 2));
            Assert.True(Number(Cell("accepted", 1)) > 0, "accepted per second: " + Cell("accepted", 1));
            Assert.True(Number(Cell("duplicates", 2)) >= before.Duplicates + 1);
            Assert.True(Number(Cell("rejected", 2)) >= before.Rejected + 1);
            Assert.True(Number(Cell("evaluations", 2)) >= before.FlagEvaluations + 1);
            Assert.Equal("0", cut.Find("[data-testid=ops-queue]").TextContent.Trim());
            Assert.Matches(@"^[\d.,]+ ms / [\d.,]+ ms \([\d,]+ commits\)$", cut.Find("[data-testid=ops-commit]").TextContent.Trim());
            Assert.Matches(@"^[\d,]+ s$", cut.Find("[data-testid=ops-lag]").TextContent.Trim());
            var activity = cut.Find("[data-testid=ops-insight-activity]");
            Assert.True(int.Parse(activity.Children[1].TextContent.Trim(), System.Globalization.NumberStyles.Any) >= 1);
            Assert.EndsWith(" ms", activity.Children[2].TextContent.Trim());
        }, Timeout);
    }

    private static string Tile(IRenderedComponent<OverviewPage> cut, string title) =>
        cut.FindAll(".mud-paper").Single(p => p.Children.FirstOrDefault()?.TextContent.Trim() == title)
            .Children[1].TextContent.Trim();
}
