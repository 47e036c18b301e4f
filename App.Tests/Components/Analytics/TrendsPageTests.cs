using Bunit;
using Dashboard.Analytics.Funnels;
using Dashboard.Analytics.Trends;
using Dashboard.Components.Pages.Analytics;
using Dashboard.Tests.Analytics;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Components.Analytics;

public sealed class TrendsPageTests : PageTestBase
{
    private static string Rows(IRenderedComponent<TrendsPage> cut) =>
        string.Join("\n", cut.FindAll("[data-testid=trend-row]").Select(r => r.TextContent.Trim()));

    /// <summary>A MudTextField puts the test id on the input itself or on its wrapper.</summary>
    private static AngleSharp.Dom.IElement Input(IRenderedComponent<TrendsPage> cut, string testId)
    {
        var element = cut.Find($"[data-testid={testId}]");
        return element.TagName == "INPUT" ? element : element.QuerySelector("input")!;
    }

    [Fact]
    public void Render_NoEvent_AsksForOne()
    {
        var cut = RenderPage<TrendsPage>(uri: "/trends");

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=pick-event]")), Timeout);
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=no-saved]")), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=csv]"));
    }

    [Fact]
    public void Render_EventWithoutEvents_ShowsEmptyState()
    {
        var day = Today.AddDays(-3);
        var cut = RenderPage<TrendsPage>(uri: $"/trends?event=PAGE&from={day:yyyy-MM-dd}&to={day:yyyy-MM-dd}");

        cut.WaitForAssertion(() => Assert.Contains("No PAGE events", cut.Find("[data-testid=empty-state]").TextContent), Timeout);
    }

    [Fact]
    public async Task Render_DailyTotals_ShowsBucketsTotalChartAndCsv()
    {
        // a twice on day 1 (one of them at midnight, the range's first instant), b on day 3; day 2 is empty.
        var day = Today.AddDays(-4);
        await new AnalyticsData(Factory.Services)
            .Event("a", "PROJECT_CREATED", $"{day:yyyy-MM-dd}T00:00:00Z")
            .Event("a", "PROJECT_CREATED", At(day, 9))
            .Event("b", "PROJECT_CREATED", At(day.AddDays(2), 23))
            .Event("b", "PROJECT_CREATED", $"{day.AddDays(3):yyyy-MM-dd}T00:00:00Z") // the day after the range
            .SaveAsync();

        var cut = RenderPage<TrendsPage>(uri: $"/trends?event=PROJECT_CREATED&from={day:yyyy-MM-dd}&to={day.AddDays(2):yyyy-MM-dd}");

        cut.WaitForAssertion(() =>
        {
            Assert.Equal($"{day:yyyy-MM-dd}2\n{day.AddDays(1):yyyy-MM-dd}0\n{day.AddDays(2):yyyy-MM-dd}1", Rows(cut));
            Assert.Matches(@"Total\s*3", cut.Find("[data-testid=trend-total]").TextContent);
            Assert.Single(cut.FindAll("[data-testid=chart-trend]"));
            Assert.Equal($"api/insights/trends?event=PROJECT_CREATED&from={day:yyyy-MM-dd}&to={day.AddDays(2):yyyy-MM-dd}&format=csv",
                cut.Find("a[data-testid=csv]").GetAttribute("href"));
        }, Timeout);
    }

    [Fact]
    public async Task Render_UniqueUsersByWeekWithPrevious_ShowsBothPeriodsAndDistinctTotal()
    {
        // Range: one ISO week (Mon..Sun); previous period: the week before. a on Monday and Sunday
        // (one user in the total), b on Tuesday; previous: c alone.
        var monday = Dashboard.Rollups.UtcCalendar.WeekStart(Today.AddDays(-14));
        await new AnalyticsData(Factory.Services)
            .Event("a", "LOGOUT", At(monday, 1))
            .Event("a", "LOGOUT", At(monday.AddDays(6), 23))
            .Event("b", "LOGOUT", At(monday.AddDays(1)))
            .Event("c", "LOGOUT", At(monday.AddDays(-7)))
            .SaveAsync();

        var cut = RenderPage<TrendsPage>(uri:
            $"/trends?event=LOGOUT&measure=users&interval=week&from={monday:yyyy-MM-dd}&to={monday.AddDays(6):yyyy-MM-dd}&compare=previous");

        cut.WaitForAssertion(() =>
        {
            var headers = cut.FindAll("[data-testid=trend-table] th").Select(h => h.TextContent.Trim()).ToList();
            Assert.Equal(["Week of", "Unique users", "Unique users (previous period)", "Total"], headers);
            Assert.Equal($"{monday:yyyy-MM-dd}21", Rows(cut));
            Assert.Matches(@"Total\s*2\s*1", cut.Find("[data-testid=trend-total]").TextContent);
        }, Timeout);
    }

    [Fact]
    public async Task Render_SumByBreakdownWithCondition_ShowsOneColumnPerGroup()
    {
        var day = Today.AddDays(-2);
        await new AnalyticsData(Factory.Services)
            .Event("a", "USER_REGISTERED", At(day, 8), new { referralSource = "google", seats = 3, country = "fr" })
            .Event("b", "USER_REGISTERED", At(day, 9), new { referralSource = "google", seats = 2, country = "fr" })
            .Event("c", "USER_REGISTERED", At(day, 9), new { referralSource = "newsletter", seats = 10, country = "fr" })
            .Event("d", "USER_REGISTERED", At(day, 9), new { referralSource = "newsletter", seats = 100, country = "de" })
            .SaveAsync();

        var cut = RenderPage<TrendsPage>(uri:
            $"/trends?event=USER_REGISTERED&where=country%3Dfr&measure=sum%3Aseats&breakdown=referralSource&from={day:yyyy-MM-dd}&to={day:yyyy-MM-dd}&chart=bar");

        cut.WaitForAssertion(() =>
        {
            var headers = cut.FindAll("[data-testid=trend-table] thead th").Select(h => h.TextContent.Trim()).ToList();
            // newsletter (10) before google (5): series are ordered by total.
            Assert.Equal(["Day", "newsletter", "google"], headers);
            Assert.Equal($"{day:yyyy-MM-dd}105", Rows(cut));
            Assert.Equal("country", Input(cut, "where-key-1").GetAttribute("value"));
            Assert.Equal("fr", Input(cut, "where-value-1").GetAttribute("value"));
            Assert.Equal("seats", Input(cut, "measure-property").GetAttribute("value"));
        }, Timeout);
    }

    [Fact]
    public async Task Where_AddAndRemoveCondition_GoesToTheUrlAndFilters()
    {
        var day = Today.AddDays(-1);
        await new AnalyticsData(Factory.Services)
            .Event("a", "USER_REGISTERED", At(day, 8), new { referralSource = "google" })
            .Event("b", "USER_REGISTERED", At(day, 9), new { referralSource = "newsletter" })
            .SaveAsync();
        var cut = RenderPage<TrendsPage>(uri: $"/trends?event=USER_REGISTERED&from={day:yyyy-MM-dd}&to={day:yyyy-MM-dd}");
        cut.WaitForAssertion(() => Assert.Equal($"{day:yyyy-MM-dd}2", Rows(cut)), Timeout);

        await cut.Find("[data-testid=add-where]").ClickAsync(new());
        Input(cut, "where-key-1").Change("referralSource");
        Assert.DoesNotContain("where=", Navigation.Uri); // a row without its value waits
        Input(cut, "where-value-1").Change("google");

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("where=referralSource=google", Uri.UnescapeDataString(Navigation.Uri));
            Assert.Equal($"{day:yyyy-MM-dd}1", Rows(cut));
        }, Timeout);

        await cut.Find("[data-testid=remove-where-1]").ClickAsync(new());

        cut.WaitForAssertion(() =>
        {
            Assert.DoesNotContain("where=", Navigation.Uri);
            Assert.Equal($"{day:yyyy-MM-dd}2", Rows(cut));
        }, Timeout);
    }

    [Fact]
    public void Render_BadMeasure_ShowsTheErrorInWords()
    {
        var cut = RenderPage<TrendsPage>(uri: "/trends?event=PAGE&measure=median");

        cut.WaitForAssertion(() => Assert.Contains("'measure' must be total, users, perUser", cut.Find("[data-testid=error]").TextContent), Timeout);
    }

    [Fact]
    public async Task Save_NamedTrend_IsListedWithItsQueryApartFromFunnels()
    {
        await Factory.Services.GetRequiredService<SavedFunnels>().SaveAsync("Weekly", "steps=A,B", "someone-else");
        var cut = RenderPage<TrendsPage>(uri: "/trends?event=PAGE&interval=week&compare=previous");
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=no-saved]")), Timeout);

        // The same name as a funnel is fine: each page keeps its own list.
        Input(cut, "trend-name").Change("Weekly");
        await cut.Find("form").SubmitAsync();

        cut.WaitForAssertion(() =>
        {
            var link = cut.Find("[data-testid=open-trend]");
            Assert.Equal("Weekly", link.TextContent.Trim());
            Assert.Equal("trends?event=PAGE&interval=week&compare=previous", link.GetAttribute("href"));
        }, Timeout);

        Input(cut, "trend-name").Change("Weekly");
        await cut.Find("form").SubmitAsync();
        cut.WaitForAssertion(() => Assert.Contains("A trend named “Weekly” already exists", cut.Find("[data-testid=save-message]").TextContent), Timeout);
        var trends = await Factory.Services.GetRequiredService<SavedTrends>().ListAsync();
        Assert.Equal("test-admin", Assert.Single(trends).CreatedBy);
        Assert.Equal("steps=A,B", Assert.Single(await Factory.Services.GetRequiredService<SavedFunnels>().ListAsync()).Query);
    }

    [Fact]
    public async Task Delete_SomeoneElsesTrendAsViewer_IsRefusedAndAFunnelIdIsNotATrend()
    {
        var trends = Factory.Services.GetRequiredService<SavedTrends>();
        var funnels = Factory.Services.GetRequiredService<SavedFunnels>();
        await trends.SaveAsync("Theirs", "event=PAGE", "someone-else");
        await funnels.SaveAsync("A funnel", "steps=A,B", "test-viewer");
        SignInAsViewer();

        var cut = RenderPage<TrendsPage>(uri: "/trends");

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=open-trend]")), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=delete-trend]"));
        Assert.Contains("Only the person who saved a trend", await trends.DeleteAsync((await trends.ListAsync())[0].Id, "test-viewer", isAdmin: false));
        Assert.Equal("That trend was already deleted.", await trends.DeleteAsync((await funnels.ListAsync())[0].Id, "test-viewer", isAdmin: true));
        Assert.Single(await funnels.ListAsync());
    }

    [Fact]
    public async Task Delete_Admin_RemovesTheTrend()
    {
        await Factory.Services.GetRequiredService<SavedTrends>().SaveAsync("Old", "event=PAGE", "someone-else");
        var cut = RenderPage<TrendsPage>(uri: "/trends");
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=delete-trend]")), Timeout);

        await cut.Find("[data-testid=delete-trend]").ClickAsync(new());

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=no-saved]")), Timeout);
        Assert.Empty(await Factory.Services.GetRequiredService<SavedTrends>().ListAsync());
    }
}
