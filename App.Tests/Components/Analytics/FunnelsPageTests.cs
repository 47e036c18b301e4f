using Bunit;
using Dashboard.Analytics.Funnels;
using Dashboard.Components.Pages.Analytics;
using Dashboard.Tests.Analytics;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Components.Analytics;

public sealed class FunnelsPageTests : PageTestBase
{
    [Fact]
    public void Render_NoSteps_AsksForSteps()
    {
        var cut = RenderPage<FunnelsPage>(uri: "/funnels");

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=pick-steps]")), Timeout);
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=no-saved]")), Timeout);
        Assert.Equal(2, cut.FindAll("[data-testid=step]").Count);
    }

    [Fact]
    public async Task Render_StepsInQueryString_ShowsStepsDropOffAndOpenWindow()
    {
        // a: register, create 2h later; b: register 20 days ago, never creates (window over);
        // c: register yesterday, not yet (window open).
        var start = Today.AddDays(-20);
        await new AnalyticsData(Factory.Services)
            .Event("a", "USER_REGISTERED", At(start, 8))
            .Event("a", "PROJECT_CREATED", At(start, 10))
            .Event("b", "USER_REGISTERED", At(start, 9))
            .Event("c", "USER_REGISTERED", At(Today.AddDays(-1), 9))
            .SaveAsync();

        var cut = RenderPage<FunnelsPage>(uri: $"/funnels?steps=USER_REGISTERED,PROJECT_CREATED&window=14d&from={start:yyyy-MM-dd}");

        cut.WaitForAssertion(() =>
        {
            var rows = cut.FindAll("[data-testid=funnel-steps] tbody tr").Select(r => r.TextContent).ToList();
            Assert.Equal(2, rows.Count);
            Assert.Matches(@"1\. USER_REGISTERED\s*3\s*–\s*100%\s*100%\s*–", rows[0]);
            Assert.Matches(@"2\. PROJECT_CREATED\s*1\s*2\s*33.3%\s*33.3%\s*2h", rows[1]);
            var dropped = cut.Find("a[data-testid=dropped-link]");
            Assert.Equal("2", dropped.TextContent.Trim());
            Assert.Matches("^funnels/people\\?.*step=2&outcome=dropped", dropped.GetAttribute("href"));
            Assert.Contains("1 of these users", cut.Find("[data-testid=open-window]").TextContent);
            Assert.Single(cut.FindAll("[data-testid=chart-funnel]"));
            Assert.Matches("^api/insights/funnel\\?steps=USER_REGISTERED(,|%2C)PROJECT_CREATED&window=14d&from=.*&format=csv$", cut.Find("a[data-testid=csv]").GetAttribute("href"));
        }, Timeout);
    }

    [Fact]
    public async Task Render_ExcludeAndStrict_ShowsTimeToConvertAndWeeklyTrend()
    {
        // a: register, create 2h later; b: register, LOGOUT, create 30 s later (excluded, and not strict either).
        var start = Today.AddDays(-20);
        await new AnalyticsData(Factory.Services)
            .Event("a", "USER_REGISTERED", At(start, 8))
            .Event("a", "PROJECT_CREATED", At(start, 10))
            .Event("b", "USER_REGISTERED", At(start, 9))
            .Event("b", "LOGOUT", $"{start:yyyy-MM-dd}T09:00:10Z")
            .Event("b", "PROJECT_CREATED", $"{start:yyyy-MM-dd}T09:00:30Z")
            .SaveAsync();
        var week = Dashboard.Rollups.UtcCalendar.WeekStart(start);

        var cut = RenderPage<FunnelsPage>(uri: $"/funnels?steps=USER_REGISTERED,PROJECT_CREATED&from={start:yyyy-MM-dd}&to={start:yyyy-MM-dd}&exclude=LOGOUT");

        cut.WaitForAssertion(() =>
        {
            var rows = cut.FindAll("[data-testid=funnel-steps] tbody tr").Select(r => r.TextContent).ToList();
            // a alone converts: median and p90 2h, one user in the (1d] bucket.
            Assert.Matches(@"2\. PROJECT_CREATED\s*1\s*1\s*50%\s*50%\s*2h\s*2h\s*0\s*0\s*0\s*1\s*0\s*0", rows[1]);
            Assert.Matches($@"{week:yyyy-MM-dd}\s*2\s*1\s*50%", cut.Find("[data-testid=funnel-trend] tbody tr").TextContent);
            Assert.Contains("exclude=LOGOUT", cut.Find("a[data-testid=csv]").GetAttribute("href"));
        }, Timeout);

        Navigation.NavigateTo($"/funnels?steps=USER_REGISTERED,PROJECT_CREATED&from={start:yyyy-MM-dd}&to={start:yyyy-MM-dd}&order=strict");

        cut.WaitForAssertion(() =>
            Assert.Matches(@"2\. PROJECT_CREATED\s*1\s*1\s*50%", cut.FindAll("[data-testid=funnel-steps] tbody tr")[1].TextContent), Timeout);
    }

    /// <summary>The step's condition input (MudTextField puts the test id on the input itself).</summary>
    private static AngleSharp.Dom.IElement Where(IRenderedComponent<FunnelsPage> cut, int step)
    {
        var element = cut.Find($"[data-testid=where-{step}]");
        return element.TagName == "INPUT" ? element : element.QuerySelector("input")!;
    }

    [Fact]
    public async Task Where_ConditionOnAStep_GoesToTheUrlAndFiltersItsEvents()
    {
        var day = Today.AddDays(-5);
        await new AnalyticsData(Factory.Services)
            .Event("a", "USER_REGISTERED", At(day, 8), new { referralSource = "google" })
            .Event("a", "PROJECT_CREATED", At(day, 9))
            .Event("b", "USER_REGISTERED", At(day, 8), new { referralSource = "newsletter" })
            .SaveAsync();
        var cut = RenderPage<FunnelsPage>(uri: "/funnels?steps=USER_REGISTERED,PROJECT_CREATED");
        cut.WaitForAssertion(() => Assert.Matches(@"1\. USER_REGISTERED\s*2", cut.FindAll("[data-testid=funnel-steps] tbody tr")[0].TextContent), Timeout);

        Where(cut, 1).Change("referralSource=google");

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("steps=USER_REGISTERED[referralSource=google],PROJECT_CREATED", Uri.UnescapeDataString(Navigation.Uri));
            var rows = cut.FindAll("[data-testid=funnel-steps] tbody tr").Select(r => r.TextContent).ToList();
            Assert.Matches(@"1\. USER_REGISTERED\[referralSource=google\]\s*1", rows[0]);
            Assert.Matches(@"2\. PROJECT_CREATED\s*1\s*0\s*100%", rows[1]);
            Assert.Equal("referralSource=google", Where(cut, 1).GetAttribute("value"));
        }, Timeout);
    }

    [Fact]
    public async Task Render_BreakdownByStepProperty_ShowsGroups()
    {
        var day = Today.AddDays(-5);
        await new AnalyticsData(Factory.Services)
            .Event("a", "USER_REGISTERED", At(day, 8), new { referralSource = "google", planType = "free" })
            .Event("a", "PROJECT_CREATED", At(day, 9))
            .Event("b", "USER_REGISTERED", At(day, 8), new { referralSource = "newsletter", planType = "free" })
            .SaveAsync();

        var cut = RenderPage<FunnelsPage>(uri: "/funnels?steps=USER_REGISTERED,PROJECT_CREATED&breakdown=referralSource");

        cut.WaitForAssertion(() =>
        {
            var rows = cut.FindAll("[data-testid=funnel-breakdown] tbody tr").Select(r => r.TextContent).ToList();
            Assert.Equal(2, rows.Count);
            Assert.Matches(@"google\s*1\s*1\s*100%", rows[0]);
            Assert.Matches(@"newsletter\s*1\s*0\s*0%", rows[1]);
        }, Timeout);
    }

    [Fact]
    public async Task Save_NamedFunnel_IsListedWithItsQueryAndNamesAreUnique()
    {
        var uri = "/funnels?steps=USER_REGISTERED,PROJECT_CREATED&window=7d";
        var cut = RenderPage<FunnelsPage>(uri: uri);
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=no-saved]")), Timeout);

        cut.Find("input[data-testid=funnel-name]").Change("Onboarding");
        await cut.Find("form").SubmitAsync();

        cut.WaitForAssertion(() =>
        {
            var link = cut.Find("[data-testid=open-funnel]");
            Assert.Equal("Onboarding", link.TextContent.Trim());
            Assert.Equal("funnels?steps=USER_REGISTERED,PROJECT_CREATED&window=7d", link.GetAttribute("href"));
        }, Timeout);

        cut.Find("input[data-testid=funnel-name]").Change("Onboarding");
        await cut.Find("form").SubmitAsync();
        cut.WaitForAssertion(() => Assert.Contains("already exists", cut.Find("[data-testid=save-message]").TextContent), Timeout);
        Assert.Single(await Factory.Services.GetRequiredService<SavedFunnels>().ListAsync());
    }

    [Fact]
    public async Task Delete_ViewerAndSomeoneElsesFunnel_IsNotOffered()
    {
        await Factory.Services.GetRequiredService<SavedFunnels>().SaveAsync("Theirs", "steps=A,B", "someone-else");
        SignInAsViewer();

        var cut = RenderPage<FunnelsPage>(uri: "/funnels");

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=open-funnel]")), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=delete-funnel]"));
        var error = await Factory.Services.GetRequiredService<SavedFunnels>().DeleteAsync(
            (await Factory.Services.GetRequiredService<SavedFunnels>().ListAsync())[0].Id, "test-viewer", isAdmin: false);
        Assert.Contains("Only the person who saved", error);
    }

    [Fact]
    public async Task Delete_Admin_RemovesTheFunnel()
    {
        await Factory.Services.GetRequiredService<SavedFunnels>().SaveAsync("Old", "steps=A,B", "someone-else");
        var cut = RenderPage<FunnelsPage>(uri: "/funnels");
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=delete-funnel]")), Timeout);

        await cut.Find("[data-testid=delete-funnel]").ClickAsync(new());

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=no-saved]")), Timeout);
        Assert.Empty(await Factory.Services.GetRequiredService<SavedFunnels>().ListAsync());
    }
}
