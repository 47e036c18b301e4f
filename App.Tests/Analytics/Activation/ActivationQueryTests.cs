using Dashboard.Analytics;
using Dashboard.Analytics.Activation;
using Dashboard.Tests.TestSupport;
using static Dashboard.Tests.Analytics.AnalyticsData;

namespace Dashboard.Tests.Analytics.Activation;

public sealed class ActivationQueryTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = T("2026-03-20T12:00:00Z");
    private readonly DashboardFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    // now = 2026-03-20 12:00; within = 7 days; range 03-02 (Mon) .. 03-15 (Sun), two ISO weeks.
    // R = USER_REGISTERED, P = PROJECT_CREATED.
    //   u1  R 03-02 10:00, P 03-09 10:00:00 (exactly 7 days)            → activated
    //   u2  R 03-03 10:00, P 03-10 10:00:01 (one second past)            → not; window ended 03-10 10:00 → failure
    //   u3  R 02-20 10:00, R 03-04 10:00, P 03-05                        → first R before the range: not signed up
    //   u4  R 03-05 10:00, R 03-12 10:00, P 03-13 10:00                  → window from the FIRST R ends 03-12 10:00 → failure
    //   u5  R 03-14 09:00, nothing else                                  → window ends 03-21 09:00 > now → pending
    //   u6  R 03-13 12:00, P 03-13 12:00 (same instant)                  → activated
    //   u7  P 03-06, then R 03-07 (out of order), nothing after          → failure (window ended 03-14)
    //   u8  R 03-16 00:00:00 (first second after `to`)                   → not signed up
    //   u9  R 03-15 23:59:59 (last second of `to`)                       → pending (window ends 03-22)
    //   u11 R 03-13 12:00:00, window ends 03-20 12:00:00 = now           → pending (an event now would still count)
    //   u12 R 03-13 11:59:59, window ended one second before now         → failure
    // signedUp = u1 u2 u4 u5 u6 u7 u9 u11 u12 = 9; activated = u1 u6 = 2; pending = u5 u9 u11 = 3;
    // rate = 2 / (9 − 3) = 1/3.
    // Traits plan: u1 pro, u2 pro, u5 free, u6 free, others none →
    //   (none) u4 u7 u9 u11 u12: 5 signed up, 0 activated, 2 pending (u9 u11), rate 0 / 3 = 0
    //   free   u5 u6: 2, 1, 1 (u5), rate 1 / 1 = 1;   pro u1 u2: 2, 1, 0, rate 1 / 2 = 0.5
    private Task SeedAsync() => new AnalyticsData(_factory.Services)
        .User("u1", new { plan = "pro" }).User("u2", new { plan = "pro" })
        .User("u5", new { plan = "free" }).User("u6", new { plan = "free" })
        .Event("u1", "USER_REGISTERED", "2026-03-02T10:00:00Z").Event("u1", "PROJECT_CREATED", "2026-03-09T10:00:00Z")
        .Event("u2", "USER_REGISTERED", "2026-03-03T10:00:00Z").Event("u2", "PROJECT_CREATED", "2026-03-10T10:00:01Z")
        .Event("u3", "USER_REGISTERED", "2026-02-20T10:00:00Z").Event("u3", "USER_REGISTERED", "2026-03-04T10:00:00Z")
        .Event("u3", "PROJECT_CREATED", "2026-03-05T10:00:00Z")
        .Event("u4", "USER_REGISTERED", "2026-03-05T10:00:00Z").Event("u4", "USER_REGISTERED", "2026-03-12T10:00:00Z")
        .Event("u4", "PROJECT_CREATED", "2026-03-13T10:00:00Z")
        .Event("u5", "USER_REGISTERED", "2026-03-14T09:00:00Z")
        .Event("u6", "USER_REGISTERED", "2026-03-13T12:00:00Z").Event("u6", "PROJECT_CREATED", "2026-03-13T12:00:00Z")
        .Event("u7", "PROJECT_CREATED", "2026-03-06T10:00:00Z").Event("u7", "USER_REGISTERED", "2026-03-07T10:00:00Z")
        .Event("u8", "USER_REGISTERED", "2026-03-16T00:00:00Z")
        .Event("u9", "USER_REGISTERED", "2026-03-15T23:59:59Z")
        .Event("u11", "USER_REGISTERED", "2026-03-13T12:00:00Z")
        .Event("u12", "USER_REGISTERED", "2026-03-13T11:59:59Z")
        .SaveAsync();

    private ActivationQuery Query() => new(_factory.Db(), new FixedClock(Now));

    [Fact]
    public async Task RunAsync_MixedUsers_CountsFirstSignupsActivatedAndPending()
    {
        await SeedAsync();

        var result = await Query().RunAsync(new ActivationRequest(D("2026-03-02"), D("2026-03-15")));

        Assert.Equal((9, 2, 3), (result.SignedUp, result.Activated, result.Pending));
        Assert.Equal(1.0 / 3, result.Rate!.Value, 12);
        Assert.Null(result.Breakdown);
    }

    [Fact]
    public async Task RunAsync_ByPlanTrait_SplitsEveryCount()
    {
        await SeedAsync();

        var result = await Query().RunAsync(new ActivationRequest(D("2026-03-02"), D("2026-03-15"), Breakdown: Breakdown.User("plan")));

        Assert.Equal(
        [
            new ActivationGroup("(none)", 5, 0, 2, 0.0),
            new ActivationGroup("free", 2, 1, 1, 1.0),
            new ActivationGroup("pro", 2, 1, 0, 0.5),
        ], result.Breakdown);
    }

    [Fact]
    public async Task RunAsync_OnlyPendingUsers_RateCannotBeComputed()
    {
        await SeedAsync();

        // 03-14..03-15: u5 and u9 signed up, both pending → denominator 2 − 2 = 0.
        var result = await Query().RunAsync(new ActivationRequest(D("2026-03-14"), D("2026-03-15")));

        Assert.Equal((2, 0, 2, (double?)null), (result.SignedUp, result.Activated, result.Pending, result.Rate));
    }

    [Fact]
    public async Task RunAsync_EmptyRange_ZeroesAndNoRate()
    {
        await SeedAsync();

        var result = await Query().RunAsync(new ActivationRequest(D("2026-03-01"), D("2026-03-01")));

        Assert.Equal((0, 0, 0, (double?)null), (result.SignedUp, result.Activated, result.Pending, result.Rate));
    }

    [Fact]
    public async Task RunAsync_OneDayWindow_OnlySameDayProjectsCount()
    {
        await SeedAsync();

        // within 1 day, range 03-13 only: u6 (P at its R) activated; u11, u12 (R 03-13 ~12:00, windows
        // ended 03-14 ~12:00 < now) failures → 3 signed up, 1 activated, 0 pending, rate 1/3.
        var result = await Query().RunAsync(new ActivationRequest(D("2026-03-13"), D("2026-03-13"), Within: TimeSpan.FromDays(1)));

        Assert.Equal((3, 1, 0), (result.SignedUp, result.Activated, result.Pending));
        Assert.Equal(1.0 / 3, result.Rate!.Value, 12);
    }

    [Fact]
    public async Task GetActivation_FixedClock_ServesCountsAndCsv()
    {
        await using var app = _factory.WithClock(Now);
        await new AnalyticsData(app.Services)
            .Event("u5", "USER_REGISTERED", "2026-03-14T09:00:00Z")
            .Event("u1", "USER_REGISTERED", "2026-03-02T10:00:00Z").Event("u1", "PROJECT_CREATED", "2026-03-09T10:00:00Z")
            .Event("u2", "USER_REGISTERED", "2026-03-03T10:00:00Z").Event("u2", "PROJECT_CREATED", "2026-03-10T10:00:01Z")
            .SaveAsync();
        using var client = app.CreateReaderClient();

        // u1 activated, u2 failed (one second late), u5 pending → 3, 1, 1, rate 1 / (3 − 1) = 0.5.
        var json = await client.GetJsonAsync("/api/insights/activation?from=2026-03-02&to=2026-03-15&within=7d");
        var csv = await client.GetCsvAsync("/api/insights/activation?from=2026-03-02&to=2026-03-15&format=csv");

        Assert.Equal("""{"signedUp":3,"activated":1,"pending":1,"rate":0.5}""", json.GetRawText());
        Assert.Equal("signedUp,activated,pending,rate\r\n3,1,1,0.5\r\n", csv);
    }

    [Fact]
    public async Task RunAsync_BreakdownWithMoreThan25Values_KeepsTheLargest25AndFoldsTheRestIntoOther()
    {
        // Trait values v00..v29: v00..v19 have 2 signed-up users each (v00's both activated), v20..v29
        // one each. Kept: v00..v19 (2 users) and, of the ties at 1, v20..v24 (first in order).
        // (other): v25..v29, 5 users, none activated, none pending (their windows ended).
        var data = new AnalyticsData(_factory.Services);
        var n = 0;
        for (var v = 0; v < 30; v++)
        {
            for (var i = 0; i < (v < 20 ? 2 : 1); i++, n++)
            {
                var user = $"b{n}";
                data.User(user, new { source = $"v{v:D2}" }).Event(user, "USER_REGISTERED", "2026-03-03T10:00:00Z");
                if (v == 0) data.Event(user, "PROJECT_CREATED", "2026-03-04T10:00:00Z");
            }
        }
        await data.SaveAsync();

        var result = await Query().RunAsync(new ActivationRequest(D("2026-03-02"), D("2026-03-15"), Breakdown: Breakdown.User("source")));

        var groups = result.Breakdown!;
        Assert.Equal(26, groups.Count);
        Assert.Equal([.. Enumerable.Range(0, 25).Select(v => $"v{v:D2}"), BreakdownGroups.Other], groups.Select(g => g.Value).ToList());
        Assert.Equal(new ActivationGroup("v00", 2, 2, 0, 1.0), groups[0]);
        Assert.Equal(new ActivationGroup("v24", 1, 0, 0, 0.0), groups[24]);
        Assert.Equal(new ActivationGroup(BreakdownGroups.Other, 5, 0, 0, 0.0), groups[25]);
        Assert.Equal(result.SignedUp, groups.Sum(g => g.SignedUp));
    }

    [Fact]
    public async Task RunAsync_RealValueOtherAmongManyValues_StaysApartFromTheOverflowGroup()
    {
        // "(other)" is a real trait value with 3 users, the largest group; v00..v29 have one user each.
        // Kept: (other) and v00..v23; the overflow group holds v24..v29.
        var data = new AnalyticsData(_factory.Services);
        var values = Enumerable.Repeat("(other)", 3).Concat(Enumerable.Range(0, 30).Select(v => $"v{v:D2}")).ToList();
        for (var n = 0; n < values.Count; n++)
            data.User($"o{n}", new { source = values[n] }).Event($"o{n}", "USER_REGISTERED", "2026-03-03T10:00:00Z");
        await data.SaveAsync();

        var result = await Query().RunAsync(new ActivationRequest(D("2026-03-02"), D("2026-03-15"), Breakdown: Breakdown.User("source")));

        var groups = result.Breakdown!;
        Assert.Equal(26, groups.Count);
        // The real value comes first among the values; the overflow group, labelled the same, last.
        Assert.Equal(new ActivationGroup("(other)", 3, 0, 0, 0.0), groups[0]);
        Assert.Equal(new ActivationGroup(BreakdownGroups.Other, 6, 0, 0, 0.0), groups[25]);
    }

    [Fact]
    public async Task GetActivation_PlanBreakdownCsv_AddsOneRowPerGroup()
    {
        await SeedAsync();
        await using var app = _factory.WithClock(Now);
        using var client = app.CreateReaderClient();

        // The counts of the data set above, total first.
        var csv = await client.GetCsvAsync("/api/insights/activation?from=2026-03-02&to=2026-03-15&breakdown=plan&format=csv");

        Assert.Equal("breakdown,signedUp,activated,pending,rate\r\n(all),9,2,3,0.3333333333\r\n" +
                     "(none),5,0,2,0\r\nfree,2,1,1,1\r\npro,2,1,0,0.5\r\n", csv);
    }

    // Accounts (group calls): acme { plan enterprise, industry retail }, globex { industry energy } (no plan).
    // now = 03-20 12:00, within 7 days, range 03-02 .. 03-15:
    //   a1 acme    R 03-02 10:00, P 03-03 10:00   → activated
    //   a2 acme    R 03-03 10:00                  → failure (window ended 03-10)
    //   a3 acme    R 03-14 10:00                  → pending (window ends 03-21)
    //   g1 globex  R 03-04 10:00, P 03-05 10:00   → activated
    //   g2 globex  R 03-05 10:00                  → failure
    //   n1 no account (user trait plan enterprise, not the account's) R 03-06 10:00, P 03-06 11:00 → activated
    // Total 6, 3, 1, rate 3 / 5.
    // group.plan:     (none) g1 g2 n1: 3, 2, 0, 2/3;   enterprise a1 a2 a3: 3, 1, 1, 1/2.
    // group.industry: (none) n1: 1, 1, 0, 1;   energy g1 g2: 2, 1, 0, 1/2;   retail a1 a2 a3: 3, 1, 1, 1/2.
    private Task SeedAccountsAsync(IServiceProvider services) => new AnalyticsData(services)
        .Account("acme", new { plan = "enterprise", industry = "retail" }).Account("globex", new { industry = "energy" })
        .Member("a1", "acme").Member("a2", "acme").Member("a3", "acme").Member("g1", "globex").Member("g2", "globex")
        .User("n1", new { plan = "enterprise" })
        .Event("a1", "USER_REGISTERED", "2026-03-02T10:00:00Z").Event("a1", "PROJECT_CREATED", "2026-03-03T10:00:00Z")
        .Event("a2", "USER_REGISTERED", "2026-03-03T10:00:00Z")
        .Event("a3", "USER_REGISTERED", "2026-03-14T10:00:00Z")
        .Event("g1", "USER_REGISTERED", "2026-03-04T10:00:00Z").Event("g1", "PROJECT_CREATED", "2026-03-05T10:00:00Z")
        .Event("g2", "USER_REGISTERED", "2026-03-05T10:00:00Z")
        .Event("n1", "USER_REGISTERED", "2026-03-06T10:00:00Z").Event("n1", "PROJECT_CREATED", "2026-03-06T11:00:00Z")
        .SaveAsync();

    [Fact]
    public async Task RunAsync_ByAccountTrait_GroupsUsersByTheirAccountNoneWithoutAccountOrTrait()
    {
        await SeedAccountsAsync(_factory.Services);

        var plan = await Query().RunAsync(new ActivationRequest(D("2026-03-02"), D("2026-03-15"), Breakdown: Breakdown.Account("plan")));
        var industry = await Query().RunAsync(new ActivationRequest(D("2026-03-02"), D("2026-03-15"), Breakdown: Breakdown.Account("industry")));

        Assert.Equal((6, 3, 1), (plan.SignedUp, plan.Activated, plan.Pending));
        Assert.Equal([new ActivationGroup("(none)", 3, 2, 0, 2.0 / 3), new ActivationGroup("enterprise", 3, 1, 1, 0.5)], plan.Breakdown);
        Assert.Equal(
        [
            new ActivationGroup("(none)", 1, 1, 0, 1.0),
            new ActivationGroup("energy", 2, 1, 0, 0.5),
            new ActivationGroup("retail", 3, 1, 1, 0.5),
        ], industry.Breakdown);
    }

    [Fact]
    public async Task RunAsync_ByAccountTraitWithMoreThan25Accounts_FoldsTheSmallestIntoOther()
    {
        // Accounts c00..c26, plan p00..p26; c00 has 3 signed-up users, the others one each, nobody
        // activated (windows ended). Kept: p00 (3) and, of the ties at 1, p01..p24 (first in order).
        // (other): p25 p26, 2 users.
        await new AnalyticsData(_factory.Services).ManyAccounts("USER_REGISTERED", "2026-03-03T10:00:00Z").SaveAsync();

        var result = await Query().RunAsync(new ActivationRequest(D("2026-03-02"), D("2026-03-15"), Breakdown: Breakdown.Account("plan")));

        var groups = result.Breakdown!;
        Assert.Equal([.. Enumerable.Range(0, 25).Select(v => $"p{v:D2}"), "(other)"], groups.Select(g => g.Value).ToList());
        Assert.Equal(new ActivationGroup("p00", 3, 0, 0, 0.0), groups[0]);
        Assert.Equal(new ActivationGroup("(other)", 2, 0, 0, 0.0), groups[25]);
        Assert.Equal(29, result.SignedUp);
    }

    [Fact]
    public async Task GetActivation_GroupBreakdown_ServesGroupsInJsonAndCsv()
    {
        await using var app = _factory.WithClock(Now);
        await SeedAccountsAsync(app.Services);
        using var client = app.CreateReaderClient();

        var json = await client.GetJsonAsync("/api/insights/activation?from=2026-03-02&to=2026-03-15&breakdown=group.plan");
        var csv = await client.GetCsvAsync("/api/insights/activation?from=2026-03-02&to=2026-03-15&breakdown=group.industry&format=csv");

        Assert.Equal("""{"signedUp":6,"activated":3,"pending":1,"rate":0.6,"breakdown":[""" +
                     """{"value":"(none)","signedUp":3,"activated":2,"pending":0,"rate":0.6666666666666666},""" +
                     """{"value":"enterprise","signedUp":3,"activated":1,"pending":1,"rate":0.5}]}""", json.GetRawText());
        Assert.Equal("breakdown,signedUp,activated,pending,rate\r\n(all),6,3,1,0.6\r\n" +
                     "(none),1,1,0,1\r\nenergy,2,1,0,0.5\r\nretail,3,1,1,0.5\r\n", csv);
    }
}
