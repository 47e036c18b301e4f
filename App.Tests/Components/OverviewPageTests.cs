using Bunit;
using Dashboard.Components.Pages;

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
            var top = Assert.Single(cut.FindAll("tbody tr"));
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

    private static string Tile(IRenderedComponent<OverviewPage> cut, string title) =>
        cut.FindAll(".mud-paper").Single(p => p.Children.FirstOrDefault()?.TextContent.Trim() == title)
            .Children[1].TextContent.Trim();
}
