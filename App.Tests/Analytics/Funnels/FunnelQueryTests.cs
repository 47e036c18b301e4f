using System.Text.Json;
using Dashboard.Analytics;
using Dashboard.Analytics.Funnels;
using Dashboard.Tests.TestSupport;
using static Dashboard.Tests.Analytics.AnalyticsData;

namespace Dashboard.Tests.Analytics.Funnels;

public sealed class FunnelQueryTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = T("2026-03-20T12:00:00Z");
    private static readonly TimeSpan TwoDays = TimeSpan.FromDays(2);
    private readonly DashboardFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private FunnelQuery Query() => new(_factory.Db(), new FixedClock(Now));

    // Steps VIEW → CART → BUY, window 2 days, range 03-02..03-08, now 03-20 (every window closed).
    //   f1 VIEW 03-02 10:00, CART 03-02 10:00 (same instant), BUY 03-04 10:00:00 (exactly 2 days) → 3; gaps 0 s, 172800 s
    //   f2 VIEW 03-02 10:00, CART 03-03 10:00, BUY 03-04 10:00:01 (one second past the window)     → 2; gap 86400 s
    //   f3 BUY 03-03 09:00, CART 03-03 10:00, VIEW 03-03 11:00 (reverse order)                    → 1
    //   f4 VIEW 03-02 08:00 (its CART 03-05 08:00 is 3 days later), VIEW 03-04 08:00, CART 03-05 08:00,
    //      BUY 03-05 09:00 → the second attempt reaches 3; gaps 86400 s, 3600 s
    //   f5 VIEW 03-01 10:00 (before `from`), CART, BUY 03-02                                        → never starts
    //   f6 VIEW 03-08 23:59:59 (last second of `to`), CART 03-09 00:00:00                           → 2; gap 1 s
    // VIEW 5 users (f1 f2 f3 f4 f6): from start 1, from previous 1, no median.
    // CART 4 (f1 f2 f4 f6): 4/5 = 0.8 and 0.8; gaps 0, 1, 86400, 86400 → median (1 + 86400) / 2 = 43200.5.
    // BUY  2 (f1 f4): 2/5 = 0.4, 2/4 = 0.5; gaps 3600, 172800 → median 88200. openWindowUsers 0.
    private Task SeedOrderedAsync() => new AnalyticsData(_factory.Services)
        .Event("f1", "VIEW", "2026-03-02T10:00:00Z").Event("f1", "CART", "2026-03-02T10:00:00Z").Event("f1", "BUY", "2026-03-04T10:00:00Z")
        .Event("f2", "VIEW", "2026-03-02T10:00:00Z").Event("f2", "CART", "2026-03-03T10:00:00Z").Event("f2", "BUY", "2026-03-04T10:00:01Z")
        .Event("f3", "BUY", "2026-03-03T09:00:00Z").Event("f3", "CART", "2026-03-03T10:00:00Z").Event("f3", "VIEW", "2026-03-03T11:00:00Z")
        .Event("f4", "VIEW", "2026-03-02T08:00:00Z").Event("f4", "VIEW", "2026-03-04T08:00:00Z")
        .Event("f4", "CART", "2026-03-05T08:00:00Z").Event("f4", "BUY", "2026-03-05T09:00:00Z")
        .Event("f5", "VIEW", "2026-03-01T10:00:00Z").Event("f5", "CART", "2026-03-02T10:00:00Z").Event("f5", "BUY", "2026-03-02T11:00:00Z")
        .Event("f6", "VIEW", "2026-03-08T23:59:59Z").Event("f6", "CART", "2026-03-09T00:00:00Z")
        .SaveAsync();

    [Fact]
    public async Task RunAsync_TiesEdgesAndReverseOrder_CountsFurthestStepPerUser()
    {
        await SeedOrderedAsync();

        var result = await Query().RunAsync(new FunnelRequest(["VIEW", "CART", "BUY"], D("2026-03-02"), D("2026-03-08"), TwoDays));

        Assert.Equal(
        [
            new FunnelStep("VIEW", 5, 1.0, 1.0, null),
            new FunnelStep("CART", 4, 0.8, 0.8, 43200.5),
            new FunnelStep("BUY", 2, 0.4, 0.5, 88200),
        ], result.Steps);
        Assert.Equal(0, result.OpenWindowUsers);
        Assert.Null(result.Breakdown);
    }

    // Steps with property conditions, window 2 days, range 03-02..03-08.
    //   p1 VIEW {plan basic} 03-02 10:00, VIEW {plan pro} 03-03 10:00, BUY {qty 5} 03-04 09:00 → 2; gap 82800 s
    //   p2 VIEW {plan basic} 03-02 10:00, BUY {qty 5} 03-02 11:00                            → no pro view: never starts
    //   p3 VIEW {plan pro} 03-02 10:00, BUY {qty 4} 03-02 11:00 (other qty), BUY {qty 5} 03-04 10:00:01 (past the window) → 1
    //   p4 VIEW {plan pro} 03-02 10:00, BUY {qty 5} 03-02 10:00 (a tie)                      → 2; gap 0 s
    // VIEW[plan=pro] 3 (p1 p3 p4); BUY[qty=5] 2 (p1 p4): 2/3, median (0 + 82800) / 2 = 41400.
    // VIEW → VIEW[plan=pro]: p1 reaches 2 (basic then pro, 86400 s); p4's only view cannot fill both steps;
    // p2 and p3 stop at 1: 4 users, then 1 (1/4), median 86400.
    private Task SeedConditionsAsync() => new AnalyticsData(_factory.Services)
        .Event("p1", "VIEW", "2026-03-02T10:00:00Z", new { plan = "basic" }).Event("p1", "VIEW", "2026-03-03T10:00:00Z", new { plan = "pro" })
        .Event("p1", "BUY", "2026-03-04T09:00:00Z", new { qty = 5 })
        .Event("p2", "VIEW", "2026-03-02T10:00:00Z", new { plan = "basic" }).Event("p2", "BUY", "2026-03-02T11:00:00Z", new { qty = 5 })
        .Event("p3", "VIEW", "2026-03-02T10:00:00Z", new { plan = "pro" }).Event("p3", "BUY", "2026-03-02T11:00:00Z", new { qty = 4 })
        .Event("p3", "BUY", "2026-03-04T10:00:01Z", new { qty = 5 })
        .Event("p4", "VIEW", "2026-03-02T10:00:00Z", new { plan = "pro" }).Event("p4", "BUY", "2026-03-02T10:00:00Z", new { qty = 5 })
        .SaveAsync();

    [Fact]
    public async Task RunAsync_StepConditions_CountOnlyMatchingEvents()
    {
        await SeedConditionsAsync();

        var result = await Query().RunAsync(new FunnelRequest(["VIEW[plan=pro]", "BUY[qty=5]"], D("2026-03-02"), D("2026-03-08"), TwoDays));

        Assert.Equal([new FunnelStep("VIEW[plan=pro]", 3, 1.0, 1.0, null), new FunnelStep("BUY[qty=5]", 2, 2 / 3.0, 2 / 3.0, 41400)],
            result.Steps);
    }

    [Fact]
    public async Task RunAsync_SameEventWithAndWithoutCondition_OneEventFillsOneStep()
    {
        await SeedConditionsAsync();

        var result = await Query().RunAsync(new FunnelRequest(["VIEW", "VIEW[plan=pro]"], D("2026-03-02"), D("2026-03-08"), TwoDays));

        Assert.Equal([new FunnelStep("VIEW", 4, 1.0, 1.0, null), new FunnelStep("VIEW[plan=pro]", 1, 0.25, 0.25, 86400)], result.Steps);
    }

    [Fact]
    public async Task RunAsync_EmptyRange_ZeroUsersAndNoRates()
    {
        await SeedOrderedAsync();

        var result = await Query().RunAsync(new FunnelRequest(["VIEW", "CART"], D("2026-03-15"), D("2026-03-15")));

        Assert.Equal([new FunnelStep("VIEW", 0, null, null, null), new FunnelStep("CART", 0, null, null, null)], result.Steps);
        Assert.Equal(0, result.OpenWindowUsers);
    }

    // Steps VIEW → VIEW → BUY, window 2 days, range 03-02..03-08.
    //   r1 one VIEW 03-02 10:00: the same event cannot fill step 2                          → 1
    //   r2 two VIEWs at 03-02 10:00 (a tie), BUY 03-03 10:00                                  → 3; gaps 0 s, 86400 s
    //   r3 VIEW 03-02 10:00, VIEW 03-03 10:00, no BUY: the first attempt reaches 2, the second 1 → 2; gap 86400 s
    // VIEW 3: 1, 1. Second VIEW 2 (r2 r3): 2/3, 2/3, median (0 + 86400) / 2 = 43200.
    // BUY 1 (r2): 1/3, 1/2, median 86400.
    [Fact]
    public async Task RunAsync_RepeatedStep_NeedsASecondEvent()
    {
        await new AnalyticsData(_factory.Services)
            .Event("r1", "VIEW", "2026-03-02T10:00:00Z")
            .Event("r2", "VIEW", "2026-03-02T10:00:00Z").Event("r2", "VIEW", "2026-03-02T10:00:00Z").Event("r2", "BUY", "2026-03-03T10:00:00Z")
            .Event("r3", "VIEW", "2026-03-02T10:00:00Z").Event("r3", "VIEW", "2026-03-03T10:00:00Z")
            .SaveAsync();

        var result = await Query().RunAsync(new FunnelRequest(["VIEW", "VIEW", "BUY"], D("2026-03-02"), D("2026-03-08"), TwoDays));

        Assert.Equal(
        [
            new FunnelStep("VIEW", 3, 1.0, 1.0, null),
            new FunnelStep("VIEW", 2, 2.0 / 3, 2.0 / 3, 43200),
            new FunnelStep("BUY", 1, 1.0 / 3, 0.5, 86400),
        ], result.Steps);
    }

    // Steps VIEW → CART, default window 14 days, range 03-01..03-20, now 03-20 12:00.
    //   o1 VIEW 03-06 12:00:00: window ends 03-20 12:00:00 = now                → open
    //   o2 VIEW 03-06 11:59:59: window ended one second before now             → not open
    //   o3 VIEW 03-10, CART 03-11: reached the last step                        → not open
    //   o4 VIEW 03-01 10:00 and VIEW 03-15 10:00, no CART: the best attempt is the earliest of the
    //      tied ones (03-01), whose window closed 03-15 10:00                   → not open
    // VIEW 4; CART 1 (o3): 1/4 = 0.25, gap 86400 s. openWindowUsers 1.
    [Fact]
    public async Task RunAsync_WindowsOpenAtNow_CountedApart()
    {
        await new AnalyticsData(_factory.Services)
            .Event("o1", "VIEW", "2026-03-06T12:00:00Z")
            .Event("o2", "VIEW", "2026-03-06T11:59:59Z")
            .Event("o3", "VIEW", "2026-03-10T10:00:00Z").Event("o3", "CART", "2026-03-11T10:00:00Z")
            .Event("o4", "VIEW", "2026-03-01T10:00:00Z").Event("o4", "VIEW", "2026-03-15T10:00:00Z")
            .SaveAsync();

        var result = await Query().RunAsync(new FunnelRequest(["VIEW", "CART"], D("2026-03-01"), D("2026-03-20")));

        Assert.Equal([new FunnelStep("VIEW", 4, 1.0, 1.0, null), new FunnelStep("CART", 1, 0.25, 0.25, 86400)], result.Steps);
        Assert.Equal(1, result.OpenWindowUsers);
    }

    // Steps VIEW → CART, window 2 days, range 03-02..03-08.
    //   b1 (plan pro)  VIEW 03-02 10:00 {source: ad}, CART 03-02 11:00                      gap 3600 s
    //   b2 (plan free) VIEW 03-02 10:00 {source: mail}, VIEW 03-03 10:00 {source: ad}, CART 03-03 12:00
    //      attempt 1 (mail) reaches CART after 26 h = 93600 s; attempt 2 (ad) after 7200 s
    //   b3 (no plan)   VIEW 03-02 10:00 (no source)
    // Total: VIEW 3, CART 2 (b1, b2 by its earliest tied attempt: 93600) → median (3600 + 93600) / 2 = 48600.
    // By source (a group holds the attempts whose VIEW has that value):
    //   ad: b1, b2 → 2, 2, median (3600 + 7200) / 2 = 5400;  (none): b3 → 1, 0;  mail: b2 → 1, 1, 93600.
    //   Ordered by starting users, then name: ad, (none), mail.
    // By user.plan: (none) b3 → 1, 0; free b2 → 1, 1, 93600; pro b1 → 1, 1, 3600.
    private Task SeedBreakdownAsync() => new AnalyticsData(_factory.Services)
        .User("b1", new { plan = "pro" }).User("b2", new { plan = "free" })
        .Event("b1", "VIEW", "2026-03-02T10:00:00Z", new { source = "ad" }).Event("b1", "CART", "2026-03-02T11:00:00Z")
        .Event("b2", "VIEW", "2026-03-02T10:00:00Z", new { source = "mail" }).Event("b2", "VIEW", "2026-03-03T10:00:00Z", new { source = "ad" })
        .Event("b2", "CART", "2026-03-03T12:00:00Z")
        .Event("b3", "VIEW", "2026-03-02T10:00:00Z")
        .SaveAsync();

    [Fact]
    public async Task RunAsync_BreakdownByFirstStepProperty_GroupsAttempts()
    {
        await SeedBreakdownAsync();

        var result = await Query().RunAsync(new FunnelRequest(["VIEW", "CART"], D("2026-03-02"), D("2026-03-08"), TwoDays,
            Breakdown.Event("source")));

        Assert.Equal([new FunnelStep("VIEW", 3, 1.0, 1.0, null), new FunnelStep("CART", 2, 2.0 / 3, 2.0 / 3, 48600)], result.Steps);
        var groups = result.Breakdown!;
        Assert.Equal(["ad", "(none)", "mail"], groups.Select(g => g.Value));
        Assert.Equal([new FunnelStep("VIEW", 2, 1.0, 1.0, null), new FunnelStep("CART", 2, 1.0, 1.0, 5400)], groups[0].Steps);
        Assert.Equal([new FunnelStep("VIEW", 1, 1.0, 1.0, null), new FunnelStep("CART", 0, 0.0, 0.0, null)], groups[1].Steps);
        Assert.Equal([new FunnelStep("VIEW", 1, 1.0, 1.0, null), new FunnelStep("CART", 1, 1.0, 1.0, 93600)], groups[2].Steps);
    }

    [Fact]
    public async Task RunAsync_BreakdownByUserTrait_OneGroupPerUser()
    {
        await SeedBreakdownAsync();

        var result = await Query().RunAsync(new FunnelRequest(["VIEW", "CART"], D("2026-03-02"), D("2026-03-08"), TwoDays,
            Breakdown.User("plan")));

        var groups = result.Breakdown!;
        Assert.Equal(["(none)", "free", "pro"], groups.Select(g => g.Value));
        Assert.Equal(0, groups[0].Steps[1].Users);
        Assert.Equal(93600, groups[1].Steps[1].MedianSecondsFromPrevious);
        Assert.Equal(3600, groups[2].Steps[1].MedianSecondsFromPrevious);
    }

    [Fact]
    public async Task RunAsync_BreakdownWithMoreThan25Values_FoldsTheSmallestIntoOtherCountingEachUserOnce()
    {
        // Sources s00..s24 have 2 users each (VIEW only); s25..s29 one user each, u-x VIEWs under
        // both s28 and s29 and reaches CART only from the s29 attempt. (other) = s25..s29: users
        // o25 o26 o27 and u-x once (at its best, CART) → VIEW 4, CART 1.
        var data = new AnalyticsData(_factory.Services);
        for (var v = 0; v < 25; v++)
            for (var i = 0; i < 2; i++) data.Event($"k{v}-{i}", "VIEW", "2026-03-02T10:00:00Z", new { source = $"s{v:D2}" });
        for (var v = 25; v < 28; v++) data.Event($"o{v}", "VIEW", "2026-03-02T10:00:00Z", new { source = $"s{v:D2}" });
        data.Event("u-x", "VIEW", "2026-03-02T10:00:00Z", new { source = "s28" })
            .Event("u-x", "VIEW", "2026-03-03T10:00:00Z", new { source = "s29" })
            .Event("u-x", "CART", "2026-03-03T11:00:00Z");
        await data.SaveAsync();

        var result = await Query().RunAsync(new FunnelRequest(["VIEW", "CART"], D("2026-03-02"), D("2026-03-08"), TwoDays,
            Breakdown.Event("source")));

        var groups = result.Breakdown!;
        Assert.Equal(26, groups.Count);
        Assert.Equal([.. Enumerable.Range(0, 25).Select(v => $"s{v:D2}"), BreakdownGroups.Other], groups.Select(g => g.Value).ToList());
        Assert.Equal((4, 1), (groups[^1].Steps[0].Users, groups[^1].Steps[1].Users));
        Assert.Equal(54, result.Steps[0].Users);
    }

    [Fact]
    public async Task GetFunnel_Csv_ServesOneRowPerStep()
    {
        await SeedOrderedAsync();
        await using var app = _factory.WithClock(Now);
        using var client = app.CreateReaderClient();

        var csv = await client.GetCsvAsync("/api/insights/funnel?steps=VIEW,CART,BUY&window=2d&from=2026-03-02&to=2026-03-08&format=csv");

        Assert.Equal(
            "breakdown,step,event,users,conversionFromStart,conversionFromPrevious,medianSecondsFromPrevious,openWindowUsers\r\n" +
            "(all),1,VIEW,5,1,1,,0\r\n(all),2,CART,4,0.8,0.8,43200.5,0\r\n(all),3,BUY,2,0.4,0.5,88200,0\r\n", csv);
    }

    [Fact]
    public async Task GetFunnel_Json_ServesTheSpecShape()
    {
        await SeedBreakdownAsync();
        await using var app = _factory.WithClock(Now);
        using var client = app.CreateReaderClient();

        // Without a breakdown, as computed above: VIEW 3, CART 2 after 3600 s (pro) and 93600 s (free),
        // so the median is 48600; nearest rank gives p50 = the 1st of 2 (3600), p90 = the 2nd (93600);
        // 3600 is in (300, 3600], 93600 in (86400, 604800].
        var json = await client.GetJsonAsync("/api/insights/funnel?steps=VIEW,CART&window=2d&from=2026-03-02&to=2026-03-08");

        Assert.Equal("""{"steps":[{"event":"VIEW","users":3,"conversionFromStart":1,"conversionFromPrevious":1,"medianSecondsFromPrevious":null},""" +
                     """{"event":"CART","users":2,"conversionFromStart":0.6666666666666666,"conversionFromPrevious":0.6666666666666666,"medianSecondsFromPrevious":48600,"timeToConvert":""" +
                     """{"p50":3600,"p90":93600,"histogram":[{"upToSeconds":60,"users":0},{"upToSeconds":300,"users":0},{"upToSeconds":3600,"users":1},""" +
                     """{"upToSeconds":86400,"users":0},{"upToSeconds":604800,"users":1},{"upToSeconds":null,"users":0}]}}],"openWindowUsers":0}""",
            json.GetRawText());
    }

    [Fact]
    public async Task GetFunnel_UserTraitBreakdownCsv_AddsGroupRows()
    {
        await SeedBreakdownAsync();
        await using var app = _factory.WithClock(Now);
        using var client = app.CreateReaderClient();

        // Totals and user.plan groups as computed for the breakdown data set.
        var csv = await client.GetCsvAsync("/api/insights/funnel?steps=VIEW,CART&window=2d&from=2026-03-02&to=2026-03-08&breakdown=user.plan&format=csv");

        Assert.Equal(
            "breakdown,step,event,users,conversionFromStart,conversionFromPrevious,medianSecondsFromPrevious,openWindowUsers\r\n" +
            "(all),1,VIEW,3,1,1,,0\r\n(all),2,CART,2,0.6666666667,0.6666666667,48600,0\r\n" +
            "(none),1,VIEW,1,1,1,,0\r\n(none),2,CART,0,0,0,,0\r\n" +
            "free,1,VIEW,1,1,1,,0\r\nfree,2,CART,1,1,1,93600,0\r\n" +
            "pro,1,VIEW,1,1,1,,0\r\npro,2,CART,1,1,1,3600,0\r\n", csv);
    }

    [Fact]
    public async Task GetFunnel_PropertyBreakdown_ServesGroupsOfAttempts()
    {
        await SeedBreakdownAsync();
        await using var app = _factory.WithClock(Now);
        using var client = app.CreateReaderClient();

        var json = await client.GetJsonAsync("/api/insights/funnel?steps=VIEW,CART&window=2d&from=2026-03-02&to=2026-03-08&breakdown=source");

        var groups = json.GetProperty("breakdown").EnumerateArray().ToList();
        Assert.Equal(["ad", "(none)", "mail"], groups.Select(g => g.GetProperty("value").GetString()));
        Assert.Equal(5400, groups[0].GetProperty("steps")[1].GetProperty("medianSecondsFromPrevious").GetDouble());
        Assert.Equal(2, groups[0].GetProperty("steps")[1].GetProperty("users").GetInt32());
    }

    // Steps VIEW → CART, window 2 days, range 03-02..03-08. Accounts: acme { plan enterprise }, globex (no plan).
    //   a1 acme    VIEW 03-02 10:00, CART 03-02 11:00 → 2; gap 3600 s
    //   a2 acme    VIEW 03-03 10:00                   → 1
    //   g1 globex  VIEW 03-04 10:00, CART 03-04 12:00 → 2; gap 7200 s
    //   n1 no account, user plan enterprise: VIEW 03-05 10:00 → 1
    // All: VIEW 4, CART 2 (0.5), median 5400. group.plan (2 starters each, ties by value):
    //   (none) g1 n1: VIEW 2, CART 1, median 7200;   enterprise a1 a2: VIEW 2, CART 1, median 3600.
    private Task SeedAccountsAsync(IServiceProvider services) => new AnalyticsData(services)
        .Account("acme", new { plan = "enterprise" }).Account("globex", new { industry = "energy" })
        .Member("a1", "acme").Member("a2", "acme").Member("g1", "globex").User("n1", new { plan = "enterprise" })
        .Event("a1", "VIEW", "2026-03-02T10:00:00Z").Event("a1", "CART", "2026-03-02T11:00:00Z")
        .Event("a2", "VIEW", "2026-03-03T10:00:00Z")
        .Event("g1", "VIEW", "2026-03-04T10:00:00Z").Event("g1", "CART", "2026-03-04T12:00:00Z")
        .Event("n1", "VIEW", "2026-03-05T10:00:00Z")
        .SaveAsync();

    [Fact]
    public async Task GetFunnel_GroupBreakdown_OneGroupPerAccountValueNoneWithoutAccountOrTrait()
    {
        await using var app = _factory.WithClock(Now);
        await SeedAccountsAsync(app.Services);
        using var client = app.CreateReaderClient();

        var csv = await client.GetCsvAsync("/api/insights/funnel?steps=VIEW,CART&window=2d&from=2026-03-02&to=2026-03-08&breakdown=group.plan&format=csv");

        Assert.Equal(
            "breakdown,step,event,users,conversionFromStart,conversionFromPrevious,medianSecondsFromPrevious,openWindowUsers\r\n" +
            "(all),1,VIEW,4,1,1,,0\r\n(all),2,CART,2,0.5,0.5,5400,0\r\n" +
            "(none),1,VIEW,2,1,1,,0\r\n(none),2,CART,1,0.5,0.5,7200,0\r\n" +
            "enterprise,1,VIEW,2,1,1,,0\r\nenterprise,2,CART,1,0.5,0.5,3600,0\r\n", csv);
    }

    [Fact]
    public async Task RunAsync_GroupBreakdownWithMoreThan25Accounts_FoldsTheSmallestIntoOther()
    {
        await new AnalyticsData(_factory.Services).ManyAccounts("VIEW", "2026-03-03T10:00:00Z").SaveAsync();

        var result = await Query().RunAsync(new FunnelRequest(["VIEW", "CART"], D("2026-03-02"), D("2026-03-08"), TwoDays,
            Breakdown.Account("plan")));

        var groups = result.Breakdown!;
        Assert.Equal([.. Enumerable.Range(0, 25).Select(v => $"p{v:D2}"), "(other)"], groups.Select(g => g.Value).ToList());
        Assert.Equal((3, 0), (groups[0].Steps[0].Users, groups[0].Steps[1].Users));
        Assert.Equal(2, groups[25].Steps[0].Users);
        Assert.Equal(29, result.Steps[0].Users);
    }

    // Steps VIEW → CART → BUY, window 2 days, range 03-02..03-08; exclusion LEAVE (LEAVE[reason=price] where said).
    //   x1 VIEW 10:00, LEAVE {reason price} 10:30, CART 11:00, BUY 12:00 (03-02)   → excluded: 1; else 3
    //   x2 VIEW 10:00, CART 11:00, LEAVE {reason other} 11:00 (tie with CART), BUY 12:00 → 3 (a tie is not between)
    //   x3 VIEW 10:00, CART 11:00, LEAVE {reason price} 11:30, BUY 12:00; VIEW 03-03 10:00, CART 03-03 11:00
    //      → excluded: the first attempt ends at CART, the second reaches CART too: 2; else 3
    //   x4 VIEW 10:00, OTHER 10:10, CART 11:00 → 2 (no LEAVE), but strict ends at VIEW: 1
    // exclude=LEAVE: VIEW 4, CART 3 (x2 x3 x4), BUY 1 (x2). exclude=LEAVE[reason=price]: the same (x2's LEAVE is a tie anyway).
    // order=strict: x1 1 (LEAVE between), x2 3 (LEAVE at CART's millisecond), x3 2, x4 1 → VIEW 4, CART 2, BUY 1.
    private Task SeedExclusionAsync() => new AnalyticsData(_factory.Services)
        .Event("x1", "VIEW", "2026-03-02T10:00:00Z").Event("x1", "LEAVE", "2026-03-02T10:30:00Z", new { reason = "price" })
        .Event("x1", "CART", "2026-03-02T11:00:00Z").Event("x1", "BUY", "2026-03-02T12:00:00Z")
        .Event("x2", "VIEW", "2026-03-02T10:00:00Z").Event("x2", "CART", "2026-03-02T11:00:00Z")
        .Event("x2", "LEAVE", "2026-03-02T11:00:00Z", new { reason = "other" }).Event("x2", "BUY", "2026-03-02T12:00:00Z")
        .Event("x3", "VIEW", "2026-03-02T10:00:00Z").Event("x3", "CART", "2026-03-02T11:00:00Z")
        .Event("x3", "LEAVE", "2026-03-02T11:30:00Z", new { reason = "price" }).Event("x3", "BUY", "2026-03-02T12:00:00Z")
        .Event("x3", "VIEW", "2026-03-03T10:00:00Z").Event("x3", "CART", "2026-03-03T11:00:00Z")
        .Event("x4", "VIEW", "2026-03-02T10:00:00Z").Event("x4", "OTHER", "2026-03-02T10:10:00Z").Event("x4", "CART", "2026-03-02T11:00:00Z")
        .SaveAsync();

    private Task<FunnelResult> RunExclusionAsync(IReadOnlyList<string>? exclude, FunnelOrder order = FunnelOrder.Ordered) =>
        Query().RunAsync(new FunnelRequest(["VIEW", "CART", "BUY"], D("2026-03-02"), D("2026-03-08"), TwoDays, Exclude: exclude, Order: order));

    [Theory]
    [InlineData(null, new[] { 4, 4, 3 })]
    [InlineData("LEAVE", new[] { 4, 3, 1 })]
    [InlineData("LEAVE[reason=price]", new[] { 4, 3, 1 })]
    [InlineData("LEAVE[reason=other]", new[] { 4, 4, 3 })]
    public async Task RunAsync_Exclusion_EndsAttemptsAtTheStepBefore(string? exclude, int[] users)
    {
        await SeedExclusionAsync();

        var result = await RunExclusionAsync(exclude is null ? null : [exclude]);

        Assert.Equal(users, result.Steps.Select(s => s.Users));
    }

    [Fact]
    public async Task RunAsync_StrictOrder_AnyEventBetweenStepsEndsTheAttempt()
    {
        await SeedExclusionAsync();

        var result = await RunExclusionAsync(null, FunnelOrder.Strict);

        Assert.Equal([4, 2, 1], result.Steps.Select(s => s.Users));
    }

    // Steps VIEW → BUY, window 2 days, range 03-01 (Sunday) .. 03-10 (Tuesday): ISO weeks 02-23, 03-02, 03-09.
    //   w1 VIEW 03-01 23:00, BUY 03-02 00:30 (converts across the week boundary) → week 02-23, converted; gap 5400 s
    //   w2 VIEW 03-02 00:00 (Monday), no BUY                                      → week 03-02
    //   w3 VIEW 03-03 10:00, BUY 03-03 10:00:30                                   → week 03-02, converted; gap 30 s
    //   w4 VIEW 03-04 10:00, BUY 03-04 10:01                                      → week 03-02, converted; gap 60 s
    //   w5 VIEW 03-01 10:00 (no BUY in its window), VIEW 03-09 10:00, BUY 03-12 10:00 (3 days: too late), BUY 03-09 11:00
    //      → best attempt: the second, week 03-09, converted; gap 3600 s
    // Trend: 02-23 1/1; 03-02 3 started, 2 converted; 03-09 1/1.
    // timeToConvert of BUY over gaps 30, 60, 3600, 5400: p50 = 2nd = 60, p90 = 4th = 5400; buckets ≤60: 2, ≤3600: 1, ≤86400: 1.
    private Task SeedWeeksAsync() => new AnalyticsData(_factory.Services)
        .Event("w1", "VIEW", "2026-03-01T23:00:00Z").Event("w1", "BUY", "2026-03-02T00:30:00Z")
        .Event("w2", "VIEW", "2026-03-02T00:00:00Z")
        .Event("w3", "VIEW", "2026-03-03T10:00:00Z").Event("w3", "BUY", "2026-03-03T10:00:30Z")
        .Event("w4", "VIEW", "2026-03-04T10:00:00Z").Event("w4", "BUY", "2026-03-04T10:01:00Z")
        .Event("w5", "VIEW", "2026-03-01T10:00:00Z").Event("w5", "VIEW", "2026-03-09T10:00:00Z").Event("w5", "BUY", "2026-03-09T11:00:00Z")
        .SaveAsync();

    [Fact]
    public async Task RunAsync_Trend_CountsEachUserInTheWeekOfTheirBestAttempt()
    {
        await SeedWeeksAsync();

        var result = await Query().RunAsync(new FunnelRequest(["VIEW", "BUY"], D("2026-03-01"), D("2026-03-10"), TwoDays, Trend: true));

        Assert.Equal([new FunnelWeek(D("2026-02-23"), 1, 1, 1.0), new FunnelWeek(D("2026-03-02"), 3, 2, 2 / 3.0),
            new FunnelWeek(D("2026-03-09"), 1, 1, 1.0)], result.Trend);
        Assert.Null(result.Steps[1].TimeToConvert);
    }

    [Fact]
    public async Task GetFunnel_TimeToConvertAndTrend_ServesThemInJsonAndCsv()
    {
        await SeedWeeksAsync();
        await using var app = _factory.WithClock(Now);
        using var client = app.CreateReaderClient();
        const string url = "/api/insights/funnel?steps=VIEW,BUY&window=2d&from=2026-03-01&to=2026-03-10&include=timeToConvert,trend";

        var json = await client.GetJsonAsync(url);
        var csv = await client.GetCsvAsync(url + "&format=csv");

        Assert.False(json.GetProperty("steps")[0].TryGetProperty("timeToConvert", out _));
        Assert.Equal("""{"p50":60,"p90":5400,"histogram":[{"upToSeconds":60,"users":2},{"upToSeconds":300,"users":0},""" +
                     """{"upToSeconds":3600,"users":1},{"upToSeconds":86400,"users":1},{"upToSeconds":604800,"users":0},{"upToSeconds":null,"users":0}]}""",
            json.GetProperty("steps")[1].GetProperty("timeToConvert").GetRawText());
        Assert.Equal("""{"week":"2026-03-09","started":1,"converted":1,"rate":1}""", json.GetProperty("trend")[2].GetRawText());
        Assert.Equal(
            "breakdown,step,event,users,conversionFromStart,conversionFromPrevious,medianSecondsFromPrevious,openWindowUsers," +
            "p50SecondsFromPrevious,p90SecondsFromPrevious,usersUpTo60s,usersUpTo300s,usersUpTo3600s,usersUpTo86400s,usersUpTo604800s,usersBeyond\r\n" +
            "(all),1,VIEW,5,1,1,,0,,,,,,,,\r\n(all),2,BUY,4,0.8,0.8,1830,0,60,5400,2,0,1,1,0,0\r\n\r\n" +
            "week,started,converted,rate\r\n2026-02-23,1,1,1\r\n2026-03-02,3,2,0.6666666667\r\n2026-03-09,1,1,1\r\n", csv);
    }

    [Fact]
    public async Task GetFunnel_ExcludeAndStrict_AnswerFromTheQueryString()
    {
        await SeedExclusionAsync();
        await using var app = _factory.WithClock(Now);
        using var client = app.CreateReaderClient();
        const string url = "/api/insights/funnel?steps=VIEW,CART,BUY&window=2d&from=2026-03-02&to=2026-03-08";

        var excluded = await client.GetJsonAsync(url + "&exclude=OTHER,LEAVE%5Breason=price%5D");
        var strict = await client.GetJsonAsync(url + "&order=strict");

        // OTHER also ends x4's attempt at VIEW: CART x2 x3.
        Assert.Equal([4, 2, 1], excluded.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("users").GetInt32()));
        Assert.Equal([4, 2, 1], strict.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("users").GetInt32()));
    }
}
