using Dashboard.Analytics;
using Dashboard.Analytics.Engagement;
using Dashboard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static Dashboard.Tests.Analytics.AnalyticsData;

namespace Dashboard.Tests.Analytics.Engagement;

public sealed class FeatureEngagementQueryTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new(new Dictionary<string, string?> { ["Analytics:UnusedAdoption"] = "0.2" });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    // Range 03-06 (Fri) .. 03-10 (Tue) crosses the ISO week boundary 03-08 (Sun) / 03-09 (Mon). F = FEATURE_ENGAGED.
    //   e1 F search ×2 at 03-06 10:00 (a tie), F search 03-09 10:00
    //   e2 F search 03-08 23:59:59, F export 03-09 00:00:00
    //   e3 F export 03-10 23:59:59 (last second, counts), F export 03-11 00:00:00 (after `to`)
    //   e4 APP_OPENED 03-07 (active, no feature)
    //   e5 F search 03-05 12:00 (before `from`), F without featureName 03-10 09:00
    //   e6 APP_OPENED 03-05 23:59:59 (before `from`: not active in the period)
    // Active users: e1 e2 e3 e4 e5 = 5.
    // search: 4 events (e1 ×3, e2), 2 users, adoption 2/5 = 0.4; week 03-02: 3 events 2 users; week 03-09: 1, 1.
    // export: 2 events (e2, e3), 2 users, 0.4; week 03-02: 0, 0; week 03-09: 2, 2.
    // (none): 1 event, 1 user, 1/5 = 0.2 — not under the 0.2 threshold, so used; week 03-09: 1, 1.
    // Order by users then events: search, export, (none).
    private Task SeedAsync() => new AnalyticsData(_factory.Services)
        .Event("e1", "FEATURE_ENGAGED", "2026-03-06T10:00:00Z", new { featureName = "search" })
        .Event("e1", "FEATURE_ENGAGED", "2026-03-06T10:00:00Z", new { featureName = "search" })
        .Event("e1", "FEATURE_ENGAGED", "2026-03-09T10:00:00Z", new { featureName = "search" })
        .Event("e2", "FEATURE_ENGAGED", "2026-03-08T23:59:59Z", new { featureName = "search" })
        .Event("e2", "FEATURE_ENGAGED", "2026-03-09T00:00:00Z", new { featureName = "export" })
        .Event("e3", "FEATURE_ENGAGED", "2026-03-10T23:59:59Z", new { featureName = "export" })
        .Event("e3", "FEATURE_ENGAGED", "2026-03-11T00:00:00Z", new { featureName = "export" })
        .Event("e4", "APP_OPENED", "2026-03-07T10:00:00Z")
        .Event("e5", "FEATURE_ENGAGED", "2026-03-05T12:00:00Z", new { featureName = "search" })
        .Event("e5", "FEATURE_ENGAGED", "2026-03-10T09:00:00Z", new { clickTarget = "menu" })
        .Event("e6", "APP_OPENED", "2026-03-05T23:59:59Z")
        .SaveAsync();

    private FeatureEngagementQuery Query(double threshold) =>
        new(_factory.Db(), Options.Create(new AnalyticsOptions { UnusedAdoption = threshold }));

    [Fact]
    public async Task RunAsync_RangeAcrossWeeks_CountsEventsUsersAdoptionAndTrend()
    {
        await SeedAsync();

        var result = await Query(0.2).RunAsync(D("2026-03-06"), D("2026-03-10"));

        Assert.Equal(5, result.ActiveUsers);
        Assert.Equal(["search", "export", "(none)"], result.Features.Select(f => f.FeatureName));
        var (search, export, none) = (result.Features[0], result.Features[1], result.Features[2]);
        Assert.Equal((4L, 2, 0.4, false), (search.Events, search.Users, search.Adoption, search.Unused));
        Assert.Equal([new FeatureWeek(D("2026-03-02"), 3, 2), new FeatureWeek(D("2026-03-09"), 1, 1)], search.Trend);
        Assert.Equal((2L, 2, 0.4, false), (export.Events, export.Users, export.Adoption, export.Unused));
        Assert.Equal([new FeatureWeek(D("2026-03-02"), 0, 0), new FeatureWeek(D("2026-03-09"), 2, 2)], export.Trend);
        Assert.Equal((1L, 1, 0.2, false), (none.Events, none.Users, none.Adoption, none.Unused));
    }

    [Fact]
    public async Task RunAsync_AdoptionUnderThreshold_FlagsUnused()
    {
        await SeedAsync();

        // Threshold 0.3: (none) at 0.2 is unused; search and export at 0.4 are not.
        var result = await Query(0.3).RunAsync(D("2026-03-06"), D("2026-03-10"));

        Assert.Equal([false, false, true], result.Features.Select(f => f.Unused));
    }

    [Fact]
    public async Task RunAsync_DefaultThreshold_IsFivePercent()
    {
        await using var plain = new DashboardFactory();

        Assert.Equal(0.05, plain.Services.GetRequiredService<IOptions<AnalyticsOptions>>().Value.UnusedAdoption);
        Assert.Equal(0.2, _factory.Services.GetRequiredService<IOptions<AnalyticsOptions>>().Value.UnusedAdoption);
    }

    [Fact]
    public async Task RunAsync_EmptyRange_NoActiveUsersNoFeatures()
    {
        await SeedAsync();

        var result = await Query(0.2).RunAsync(D("2026-03-12"), D("2026-03-20"));

        Assert.Equal(0, result.ActiveUsers);
        Assert.Empty(result.Features);
    }

    [Fact]
    public async Task GetFeatures_JsonAndCsv_ServeTheSpecFields()
    {
        await SeedAsync();
        using var client = _factory.CreateReaderClient();

        var json = await client.GetJsonAsync("/api/insights/features?from=2026-03-08&to=2026-03-09");
        var csv = await client.GetCsvAsync("/api/insights/features?from=2026-03-06&to=2026-03-10&format=csv");

        // 03-08..03-09: active e1 e2; search e2 (03-08), e1 (03-09) → 2 events 2 users, adoption 1;
        // export e2 → 1, 1, adoption 0.5. One ISO week each side of the boundary.
        Assert.Equal(2, json.GetProperty("activeUsers").GetInt32());
        var first = json.GetProperty("features")[0];
        Assert.Equal("search", first.GetProperty("featureName").GetString());
        Assert.Equal(2, first.GetProperty("events").GetInt32());
        Assert.Equal(2, first.GetProperty("users").GetInt32());
        Assert.Equal(1.0, first.GetProperty("adoption").GetDouble());
        Assert.False(first.GetProperty("unused").GetBoolean());
        Assert.Equal(2, first.GetProperty("trend").GetArrayLength());
        Assert.Equal(0.5, json.GetProperty("features")[1].GetProperty("adoption").GetDouble());
        Assert.Equal("featureName,events,users,activeUsers,adoption,unused\r\n" +
                     "search,4,2,5,0.4,false\r\nexport,2,2,5,0.4,false\r\n(none),1,1,5,0.2,false\r\n", csv);
    }

    [Fact]
    public async Task GetFeaturesCsv_FeatureNameHoldingAFormula_IsServedAsText()
    {
        await new AnalyticsData(_factory.Services)
            .Event("f1", "FEATURE_ENGAGED", "2026-03-06T10:00:00Z", new { featureName = "=HYPERLINK(\"http://evil.example\",\"x\")" })
            .SaveAsync();
        using var client = _factory.CreateReaderClient();

        var csv = await client.GetCsvAsync("/api/insights/features?from=2026-03-06&to=2026-03-06&format=csv");

        Assert.Equal("featureName,events,users,activeUsers,adoption,unused\r\n" +
                     "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",1,1,1,1,false\r\n", csv);
    }
}
