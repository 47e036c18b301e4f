using Bunit;
using Dashboard.Components.Pages.Analytics;
using Dashboard.Tests.Analytics;

namespace Dashboard.Tests.Components.Analytics;

public sealed class WeeklyReviewPageTests : PageTestBase
{
    [Fact]
    public void Render_NoEvents_ShowsEmptyState()
    {
        var cut = RenderPage<WeeklyReviewPage>();

        cut.WaitForAssertion(() => Assert.Contains("No events in", cut.Find("[data-testid=empty-state]").TextContent), Timeout);
        Assert.Empty(cut.FindAll("[aria-label=Loading]"));
    }

    [Fact]
    public async Task Render_Events_ShowsTilesWithChangesFromLastWeek()
    {
        // This week (the 7 days ending yesterday): a, b, c active; last week: a only. b signs up and activates.
        await new AnalyticsData(Factory.Services)
            .Event("a", "APP_OPENED", At(Today.AddDays(-9)))
            .Event("a", "APP_OPENED", At(Today.AddDays(-2)))
            .Event("b", "USER_REGISTERED", At(Today.AddDays(-3), 9))
            .Event("b", "PROJECT_CREATED", At(Today.AddDays(-3), 10))
            .Event("c", "FEATURE_ENGAGED", At(Today.AddDays(-1)), new { featureName = "search" })
            .SaveAsync();

        var cut = RenderPage<WeeklyReviewPage>();

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("3", cut.Find("[data-testid=tile-active] [data-testid=value]").TextContent.Trim());
            var delta = cut.Find("[data-testid=tile-active] [data-testid=delta]");
            Assert.Equal("up", delta.GetAttribute("data-direction"));
            Assert.Contains("+2 (+200%)", delta.TextContent);
            Assert.Equal("100%", cut.Find("[data-testid=tile-activation] [data-testid=value]").TextContent.Trim());
            Assert.Equal("2", cut.Find("[data-testid=tile-new] [data-testid=value]").TextContent.Trim());
            Assert.Contains("search", cut.Find("[data-testid=top-features]").TextContent);
            Assert.NotEmpty(cut.FindAll("[data-testid=chart-daily]"));
            Assert.Contains($"from={Today.AddDays(-28):yyyy-MM-dd}", cut.Find("[data-testid=csv-activity]").GetAttribute("href"));
        }, Timeout);
    }

    [Fact]
    public async Task Render_MostActivationWindowsOpen_SaysSoInsteadOfAnArrow()
    {
        // This week: b activates; c and d signed up yesterday, not yet (pending): 1/(3−2) = 100%.
        // Last week: a signed up and did not activate: 0%.
        await new AnalyticsData(Factory.Services)
            .Event("a", "USER_REGISTERED", At(Today.AddDays(-12), 9))
            .Event("b", "USER_REGISTERED", At(Today.AddDays(-3), 9))
            .Event("b", "PROJECT_CREATED", At(Today.AddDays(-3), 10))
            .Event("c", "USER_REGISTERED", At(Today.AddDays(-1), 9))
            .Event("d", "USER_REGISTERED", At(Today.AddDays(-1), 10))
            .SaveAsync();

        var cut = RenderPage<WeeklyReviewPage>();

        cut.WaitForAssertion(() =>
        {
            var tile = cut.Find("[data-testid=tile-activation]");
            Assert.Equal("100%", tile.QuerySelector("[data-testid=value]")!.TextContent.Trim());
            Assert.Null(tile.QuerySelector("[data-testid=delta]"));
            Assert.Contains("Most windows still open", tile.QuerySelector("[data-testid=activation-open]")!.TextContent);
            Assert.Contains("0% last week", tile.TextContent);
            Assert.Contains("1 of 3 signed up; 2 pending", tile.TextContent);
            // Other tiles keep their arrows.
            Assert.NotNull(cut.Find("[data-testid=tile-new] [data-testid=delta]"));
        }, Timeout);
    }

    [Fact]
    public async Task Render_EndInQueryString_ReviewsThatWeek()
    {
        var end = Today.AddDays(-10);
        await new AnalyticsData(Factory.Services).Event("a", "APP_OPENED", At(end)).SaveAsync();

        var cut = RenderPage<WeeklyReviewPage>(uri: $"/?end={end:yyyy-MM-dd}");

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("1", cut.Find("[data-testid=tile-active] [data-testid=value]").TextContent.Trim());
            Assert.Contains(end.ToString("MMM d", System.Globalization.CultureInfo.InvariantCulture), cut.Find("[data-testid=period]").TextContent);
        }, Timeout);
    }

    [Theory]
    [InlineData("/?end=yesterday", "'from' must be a date")]
    [InlineData("/?end=2999-01-01", "must end on a full day")]
    public void Render_BadEnd_ShowsTheErrorInWords(string uri, string error)
    {
        var cut = RenderPage<WeeklyReviewPage>(uri: uri);

        cut.WaitForAssertion(() => Assert.Contains(error, cut.Find("[data-testid=error]").TextContent), Timeout);
    }

    [Fact]
    public async Task Render_EventArrivesWhileOpen_UpdatesLive()
    {
        await new AnalyticsData(Factory.Services).Event("a", "APP_OPENED", At(Today.AddDays(-2))).SaveAsync();
        var cut = RenderPage<WeeklyReviewPage>();
        cut.WaitForAssertion(() => Assert.Equal("1", cut.Find("[data-testid=tile-active] [data-testid=value]").TextContent.Trim()), Timeout);

        await PostAsync(new { @event = "APP_OPENED", userId = "live-review", timestamp = At(Today.AddDays(-1)) });

        cut.WaitForAssertion(() => Assert.Equal("2", cut.Find("[data-testid=tile-active] [data-testid=value]").TextContent.Trim()), Timeout);
    }
}
