using Bunit;
using Dashboard.Components.Pages.Analytics;
using Dashboard.Tests.Analytics;

namespace Dashboard.Tests.Components.Analytics;

/// <summary>Activity, activation, feature engagement and retention pages: empty, data, query-string filters and errors.</summary>
public sealed class AnalyticsPagesTests : PageTestBase
{
    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd");

    [Theory]
    [InlineData("/activity", typeof(ActivityPage))]
    [InlineData("/activation", typeof(ActivationPage))]
    [InlineData("/features", typeof(FeaturesPage))]
    [InlineData("/retention", typeof(RetentionPage))]
    public void Render_NoEvents_ShowsEmptyState(string uri, Type page)
    {
        Navigation.NavigateTo(uri);
        Context.Render<MudBlazor.MudPopoverProvider>();
        var cut = Context.Render(b => { b.OpenComponent(0, page); b.CloseComponent(); });

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=empty-state]")), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=error]"));
    }

    [Theory]
    [InlineData("/activity?from=2026-03-05&to=2026-03-01", typeof(ActivityPage), "is after 'to'")]
    [InlineData("/activity?interval=month", typeof(ActivityPage), "'interval' must be day or week")]
    [InlineData("/activation?within=7", typeof(ActivationPage), "'within' must be")]
    [InlineData("/features?from=March", typeof(FeaturesPage), "'from' must be a date")]
    [InlineData("/retention?from=2020-01-01&to=2026-01-01", typeof(RetentionPage), "at most 400 are allowed")]
    [InlineData("/funnels?steps=A,B&window=2w", typeof(FunnelsPage), "'window' must be")]
    public void Render_BadFilter_ShowsTheErrorInWords(string uri, Type page, string error)
    {
        Navigation.NavigateTo(uri);
        Context.Render<MudBlazor.MudPopoverProvider>();
        var cut = Context.Render(b => { b.OpenComponent(0, page); b.CloseComponent(); });

        cut.WaitForAssertion(() => Assert.Contains(error, cut.Find("[data-testid=error]").TextContent), Timeout);
    }

    [Fact]
    public async Task ActivityPage_WeekInterval_ListsWeeksAndLinksTheSameCsv()
    {
        // 2026-03-02 and 2026-03-09 are Mondays.
        await new AnalyticsData(Factory.Services)
            .Event("a", "APP_OPENED", "2026-03-03T10:00:00Z")
            .Event("b", "APP_OPENED", "2026-03-04T10:00:00Z")
            .Event("a", "APP_OPENED", "2026-03-10T10:00:00Z")
            .SaveAsync();

        var cut = RenderPage<ActivityPage>(uri: "/activity?from=2026-03-02&to=2026-03-15&interval=week");

        cut.WaitForAssertion(() =>
        {
            var rows = cut.FindAll("[data-testid=points] tbody tr").Select(r => r.TextContent.Trim()).ToList();
            Assert.Equal(2, rows.Count);
            Assert.StartsWith("2026-03-09", rows[0]);
            Assert.Matches(@"2026-03-02\s*2\s*2", rows[1]);
            Assert.Equal("api/insights/activity?from=2026-03-02&to=2026-03-15&interval=week&format=csv", cut.Find("a[data-testid=csv]").GetAttribute("href"));
            Assert.Single(cut.FindAll("[data-testid=chart-active]"));
        }, Timeout);
    }

    [Fact]
    public async Task ActivationPage_BreakdownByPlan_ShowsTotalsAndGroups()
    {
        var signup = Today.AddDays(-20);
        await new AnalyticsData(Factory.Services)
            .User("p", new { plan = "premium" })
            .User("f", new { plan = "free" })
            .User("g", new { plan = "free" })
            .Event("p", "USER_REGISTERED", At(signup, 9))
            .Event("p", "PROJECT_CREATED", At(signup.AddDays(2)))
            .Event("f", "USER_REGISTERED", At(signup, 10))
            .Event("g", "USER_REGISTERED", At(signup, 11))
            .Event("g", "PROJECT_CREATED", At(signup.AddDays(10)))
            .SaveAsync();

        var cut = RenderPage<ActivationPage>(uri: $"/activation?from={Day(signup)}&to={Day(signup)}&breakdown=plan");

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("33.3%", cut.Find("[data-testid=tiles]").TextContent);
            var groups = cut.FindAll("[data-testid=breakdown-table] tbody tr").Select(r => r.TextContent).ToList();
            Assert.Equal(2, groups.Count);
            Assert.Matches(@"free\s*2\s*0\s*0\s*0%", groups[0]);
            Assert.Matches(@"premium\s*1\s*1\s*0\s*100%", groups[1]);
            Assert.Contains("breakdown=plan", cut.Find("a[data-testid=csv]").GetAttribute("href"));
        }, Timeout);
    }

    // Accounts acme { plan enterprise } and globex { industry energy }: a in acme, g in globex, n in none.
    private Task SeedAccountsAsync(string signup, string activation, DateOnly day) => new AnalyticsData(Factory.Services)
        .Account("acme", new { plan = "enterprise" }).Account("globex", new { industry = "energy" })
        .Member("a", "acme").Member("g", "globex")
        .Event("a", signup, At(day, 9)).Event("a", activation, At(day.AddDays(1)))
        .Event("g", signup, At(day, 10)).Event("n", signup, At(day, 11))
        .SaveAsync();

    [Fact]
    public async Task ActivationPage_BreakdownByAccountPlan_ShowsAGroupPerAccountValue()
    {
        var signup = Today.AddDays(-20);
        await SeedAccountsAsync("USER_REGISTERED", "PROJECT_CREATED", signup);

        var cut = RenderPage<ActivationPage>(uri: $"/activation?from={Day(signup)}&to={Day(signup)}&breakdown=group.plan");

        // (none): g and n, neither activated, windows ended; enterprise: a, activated the next day.
        cut.WaitForAssertion(() =>
        {
            var groups = cut.FindAll("[data-testid=breakdown-table] tbody tr").Select(r => r.TextContent).ToList();
            Assert.Equal(2, groups.Count);
            Assert.Matches(@"\(none\)\s*2\s*0\s*0\s*0%", groups[0]);
            Assert.Matches(@"enterprise\s*1\s*1\s*0\s*100%", groups[1]);
            Assert.Contains("By Account plan", cut.Markup);
        }, Timeout);
    }

    [Fact]
    public async Task RetentionPage_BreakdownByAccountPlan_DrawsAHeatmapPerGroupAndLinksTheSameCsv()
    {
        var day = Today.AddDays(-3);
        await SeedAccountsAsync("APP_OPENED", "APP_OPENED", day);

        var cut = RenderPage<RetentionPage>(uri: "/retention?breakdown=group.plan");

        // One cohort (the week of day): (none) g and n, enterprise a.
        cut.WaitForAssertion(() =>
        {
            var groups = cut.FindAll("[data-testid=heatmap-group]");
            Assert.Equal(["Account plan: (none)", "Account plan: enterprise"], groups.Select(g => g.QuerySelector("caption")!.TextContent.Trim()));
            Assert.Equal([2, 1], groups.Select(g => g.QuerySelectorAll("tbody tr").Sum(r => int.Parse(r.QuerySelectorAll("td")[0].TextContent))));
            Assert.Contains("breakdown=group.plan", cut.Find("a[data-testid=csv]").GetAttribute("href"));
        }, Timeout);
    }

    [Theory]
    [InlineData("/activation", typeof(ActivationPage))]
    [InlineData("/retention", typeof(RetentionPage))]
    [InlineData("/funnels?steps=USER_REGISTERED,PROJECT_CREATED", typeof(FunnelsPage))]
    public async Task BreakdownPicker_AccountsWithTraits_OffersEveryAccountTrait(string uri, Type page)
    {
        await SeedAccountsAsync("USER_REGISTERED", "PROJECT_CREATED", Today.AddDays(-3));
        Navigation.NavigateTo(uri);
        var popovers = Context.Render<MudBlazor.MudPopoverProvider>();
        var cut = Context.Render(b => { b.OpenComponent(0, page); b.CloseComponent(); });

        var select = cut.FindComponent<BreakdownSelect>().FindComponent<MudBlazor.MudSelect<string>>();
        await select.InvokeAsync(select.Instance.OpenMenu);

        popovers.WaitForAssertion(() =>
        {
            foreach (var choice in new[] { "None", "User cohort", "User plan", "Account industry", "Account plan" })
                Assert.Contains(choice, popovers.Markup);
        }, Timeout);
    }

    [Theory]
    [InlineData("/features", "comments,legacy_reports,search")]
    [InlineData("/features?unused=true", "legacy_reports")]
    [InlineData("/features?q=COMM", "comments")]
    public async Task FeaturesPage_SearchAndOnlyUnusedInQueryString_FilterTheTable(string uri, string features)
    {
        // 25 active users; search used by 24 (96%), legacy_reports by 1 (4% < 5%: unused), comments by 2 (8%).
        var data = new AnalyticsData(Factory.Services);
        var day = Today.AddDays(-3);
        for (var i = 0; i < 24; i++) data.Event($"u{i}", "FEATURE_ENGAGED", At(day), new { featureName = "search" });
        data.Event("u24", "FEATURE_ENGAGED", At(day), new { featureName = "legacy_reports" })
            .Event("u1", "FEATURE_ENGAGED", At(day), new { featureName = "comments" })
            .Event("u2", "FEATURE_ENGAGED", At(day), new { featureName = "comments" });
        await data.SaveAsync();

        var cut = RenderPage<FeaturesPage>(uri: uri);

        cut.WaitForAssertion(() =>
        {
            var rows = cut.FindAll("[data-testid=features] tbody tr");
            Assert.Equal(features, string.Join(",", rows.Select(r => r.QuerySelector("td")!.TextContent.Replace("unused", "").Trim()).Order()));
            Assert.All(rows.Where(r => r.TextContent.Contains("legacy_reports")), r => Assert.NotNull(r.QuerySelector("[data-testid=unused]")));
            Assert.All(rows.Where(r => r.TextContent.Contains("comments")), r => Assert.Matches(@"comments\s*2\s*2\s*8%", r.TextContent));
        }, Timeout);
    }

    [Fact]
    public async Task FeaturesPage_ManyFeatures_DrawsOnePageOfRowsAndCapsTheChart()
    {
        // 80 features, feature fNN used by NN + 1 users: the most adopted is f79.
        var data = new AnalyticsData(Factory.Services);
        var day = Today.AddDays(-3);
        for (var f = 0; f < 80; f++)
            for (var u = 0; u <= f; u++) data.Event($"u{u}", "FEATURE_ENGAGED", At(day), new { featureName = $"f{f:D2}" });
        await data.SaveAsync();

        var cut = RenderPage<FeaturesPage>(uri: "/features");

        cut.WaitForAssertion(() =>
        {
            Assert.Equal(50, cut.FindAll("[data-testid=features] tbody tr").Count);
            Assert.Equal(50, cut.FindAll("[data-testid=feature-spark]").Count);
            Assert.NotNull(cut.Find("[data-testid=features-pager]"));
            Assert.Contains("The 30 most adopted of 80 features", cut.Find("[data-testid=chart-capped]").TextContent);
        }, Timeout);
    }

    [Theory]
    [InlineData("/features", "search,comments,legacy_reports")]                    // users, most first
    [InlineData("/features?sort=feature&dir=asc", "comments,legacy_reports,search")]
    [InlineData("/features?sort=events&dir=asc", "legacy_reports,comments,search")]
    public async Task FeaturesPage_SortInQueryString_OrdersTheTableAndClicksWriteIt(string uri, string features)
    {
        // search: 3 users, 3 events; comments: 2 users, 2 events; legacy_reports: 1 user, 1 event.
        var day = Today.AddDays(-3);
        await new AnalyticsData(Factory.Services)
            .Event("a", "FEATURE_ENGAGED", At(day), new { featureName = "search" })
            .Event("b", "FEATURE_ENGAGED", At(day), new { featureName = "search" })
            .Event("c", "FEATURE_ENGAGED", At(day), new { featureName = "search" })
            .Event("a", "FEATURE_ENGAGED", At(day), new { featureName = "comments" })
            .Event("b", "FEATURE_ENGAGED", At(day), new { featureName = "comments" })
            .Event("c", "FEATURE_ENGAGED", At(day), new { featureName = "legacy_reports" })
            .SaveAsync();
        string Order(IRenderedComponent<FeaturesPage> page) => string.Join(",",
            page.FindAll("[data-testid=features] tbody tr").Select(r => r.QuerySelector("td")!.TextContent.Replace("unused", "").Trim()));

        var cut = RenderPage<FeaturesPage>(uri: uri);
        cut.WaitForAssertion(() => Assert.Equal(features, Order(cut)), Timeout);

        cut.Find("[data-testid=sort-adoption] .mud-button-root, [data-testid=sort-adoption]").Click();
        cut.WaitForAssertion(() => Assert.Contains("sort=adoption", Navigation.Uri), Timeout);
    }

    [Fact]
    public async Task RetentionPage_Cohorts_ShadeCellsByShare()
    {
        // Week of 2026-03-02: a and b start; a comes back the next week. Week of 03-09: c starts.
        await new AnalyticsData(Factory.Services)
            .Event("a", "APP_OPENED", "2026-03-02T10:00:00Z")
            .Event("b", "APP_OPENED", "2026-03-03T10:00:00Z")
            .Event("a", "APP_OPENED", "2026-03-10T10:00:00Z")
            .Event("c", "APP_OPENED", "2026-03-11T10:00:00Z")
            .SaveAsync();

        var cut = RenderPage<RetentionPage>(uri: "/retention?from=2026-03-02&to=2026-03-15");

        cut.WaitForAssertion(() =>
        {
            var rows = cut.FindAll("[data-testid=heatmap] tbody tr");
            Assert.Equal(2, rows.Count);
            var first = rows[0].QuerySelectorAll("td").Select(c => c.TextContent.Trim()).ToList();
            Assert.Equal(["2", "100%", "50%"], first.Take(3));
            Assert.Contains("rgba(var(--mud-palette-primary-rgb), 0.44)", rows[0].QuerySelectorAll("td")[2].GetAttribute("style"));
            Assert.Equal(["1", "100%", "0%"], rows[1].QuerySelectorAll("td").Select(c => c.TextContent.Trim()).Take(3));
        }, Timeout);
    }
}
