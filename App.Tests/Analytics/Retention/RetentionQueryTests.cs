using Dashboard.Analytics;
using Dashboard.Analytics.Retention;
using Dashboard.Tests.TestSupport;
using static Dashboard.Tests.Analytics.AnalyticsData;

namespace Dashboard.Tests.Analytics.Retention;

public sealed class RetentionQueryTests : IAsyncLifetime
{
    // Friday of the ISO week starting 03-16: cohorts get cells up to that week.
    private static readonly DateTimeOffset Now = T("2026-03-20T12:00:00Z");
    private readonly DashboardFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    // Range 03-04 (Wed) .. 03-10 (Tue): cohort weeks 03-02 and 03-09. Weeks: w0 = cohort week, w1, w2 ...
    //   r1 first 03-04 10:00, then 03-10, 03-17                     → cohort 03-02, active w0 w1 w2
    //   r2 first 03-08 23:59:59 (Sunday), then 03-09 00:00:00        → cohort 03-02, w0 w1
    //   r3 first 03-03 (before `from`), then 03-05                   → not in any cohort (first ever event decides)
    //   r7 first 03-06, then 03-23 (after the current week)          → cohort 03-02, w0 only
    //   r4 two events at 03-09 00:00:00 (a tie), then 03-18          → cohort 03-09, w0 w1
    //   r5 first 03-10 23:59:59 (last second of `to`), then 03-11    → cohort 03-09, w0
    //   r6 first 03-11 00:00:00 (after `to`)                         → not in any cohort
    // Cohort 03-02: 3 users (r1 r2 r7); w0 3/3 = 1, w1 (r1 r2) 2/3, w2 (r1) 1/3 → 3 cells (03-02, 03-09, 03-16).
    // Cohort 03-09: 2 users (r4 r5); w0 1, w1 (r4) 1/2 → 2 cells.
    private Task SeedAsync() => new AnalyticsData(_factory.Services)
        .Event("r1", "APP_OPENED", "2026-03-04T10:00:00Z").Event("r1", "APP_OPENED", "2026-03-10T10:00:00Z")
        .Event("r1", "APP_OPENED", "2026-03-17T10:00:00Z")
        .Event("r2", "APP_OPENED", "2026-03-08T23:59:59Z").Event("r2", "APP_OPENED", "2026-03-09T00:00:00Z")
        .Event("r3", "APP_OPENED", "2026-03-03T10:00:00Z").Event("r3", "APP_OPENED", "2026-03-05T10:00:00Z")
        .Event("r7", "APP_OPENED", "2026-03-06T10:00:00Z").Event("r7", "APP_OPENED", "2026-03-23T10:00:00Z")
        .Event("r4", "APP_OPENED", "2026-03-09T00:00:00Z").Event("r4", "FEATURE_ENGAGED", "2026-03-09T00:00:00Z")
        .Event("r4", "APP_OPENED", "2026-03-18T10:00:00Z")
        .Event("r5", "APP_OPENED", "2026-03-10T23:59:59Z").Event("r5", "APP_OPENED", "2026-03-11T10:00:00Z")
        .Event("r6", "APP_OPENED", "2026-03-11T00:00:00Z")
        .SaveAsync();

    private RetentionQuery Query() => new(_factory.Db(), new FixedClock(Now));

    [Fact]
    public async Task RunAsync_TwoCohorts_SharesActivePerWeekUpToNow()
    {
        await SeedAsync();

        var result = await Query().RunAsync(D("2026-03-04"), D("2026-03-10"));

        Assert.Equal(2, result.Cohorts.Count);
        Assert.Equal((D("2026-03-02"), 3), (result.Cohorts[0].Week, result.Cohorts[0].Users));
        Assert.Equal([1.0, 2.0 / 3, 1.0 / 3], result.Cohorts[0].Retention);
        Assert.Equal((D("2026-03-09"), 2), (result.Cohorts[1].Week, result.Cohorts[1].Users));
        Assert.Equal([1.0, 0.5], result.Cohorts[1].Retention);
    }

    [Fact]
    public async Task RunAsync_EmptyCohort_HasNoShares()
    {
        await SeedAsync();

        // Nobody's first event is on 03-12 (r6's is 03-11): the 03-09 cohort is empty, two cells up to now.
        var result = await Query().RunAsync(D("2026-03-12"), D("2026-03-12"));

        var cohort = Assert.Single(result.Cohorts);
        Assert.Equal((D("2026-03-09"), 0), (cohort.Week, cohort.Users));
        Assert.Equal([null, null], cohort.Retention);
    }

    [Fact]
    public async Task GetRetention_JsonAndCsv_ServeTheSpecShape()
    {
        await SeedAsync();
        await using var app = _factory.WithClock(Now);
        using var client = app.CreateReaderClient();

        var json = await client.GetJsonAsync("/api/insights/retention?from=2026-03-09&to=2026-03-10");
        var csv = await client.GetCsvAsync("/api/insights/retention?from=2026-03-04&to=2026-03-10&format=csv");

        Assert.Equal("""{"cohorts":[{"week":"2026-03-09","users":2,"retention":[1,0.5]}]}""", json.GetRawText());
        Assert.Equal("week,users,week0,week1,week2\r\n2026-03-02,3,1,0.6666666667,0.3333333333\r\n2026-03-09,2,1,0.5\r\n", csv);
    }

    // Accounts: acme { plan enterprise }, globex { industry energy } (no plan). Range 03-02 .. 03-15,
    // now 03-20 (week of 03-16): cohorts 03-02 (cells w0 w1 w2) and 03-09 (w0 w1).
    //   a1 acme    03-03, 03-10, 03-17  → cohort 03-02, w0 w1 w2
    //   a2 acme    03-04                → cohort 03-02, w0
    //   g1 globex  03-05, 03-16         → cohort 03-02, w0 w2
    //   g2 globex  03-10, 03-17         → cohort 03-09, w0 w1
    //   n1 no account (user plan free) 03-11 → cohort 03-09, w0
    // All: 03-02 3 users [1, 1/3, 2/3]; 03-09 2 users [1, 1/2].
    // group.plan: (none) g1 g2 n1: 03-02 1 user [1, 0, 1], 03-09 2 users [1, 1/2];
    //             enterprise a1 a2: 03-02 2 users [1, 1/2, 1/2], 03-09 empty [null, null].
    private Task SeedAccountsAsync(IServiceProvider services) => new AnalyticsData(services)
        .Account("acme", new { plan = "enterprise" }).Account("globex", new { industry = "energy" })
        .Member("a1", "acme").Member("a2", "acme").Member("g1", "globex").Member("g2", "globex")
        .User("n1", new { plan = "free" })
        .Event("a1", "APP_OPENED", "2026-03-03T10:00:00Z").Event("a1", "APP_OPENED", "2026-03-10T10:00:00Z")
        .Event("a1", "APP_OPENED", "2026-03-17T10:00:00Z")
        .Event("a2", "APP_OPENED", "2026-03-04T10:00:00Z")
        .Event("g1", "APP_OPENED", "2026-03-05T10:00:00Z").Event("g1", "APP_OPENED", "2026-03-16T10:00:00Z")
        .Event("g2", "APP_OPENED", "2026-03-10T10:00:00Z").Event("g2", "APP_OPENED", "2026-03-17T10:00:00Z")
        .Event("n1", "APP_OPENED", "2026-03-11T10:00:00Z")
        .SaveAsync();

    [Fact]
    public async Task RunAsync_ByAccountTrait_GivesTheCohortsOfEachGroup()
    {
        await SeedAccountsAsync(_factory.Services);

        var result = await Query().RunAsync(D("2026-03-02"), D("2026-03-15"), Breakdown.Account("plan"));

        Assert.Equal([(D("2026-03-02"), 3), (D("2026-03-09"), 2)], result.Cohorts.Select(c => (c.Week, c.Users)));
        Assert.Equal([1.0, 1.0 / 3, 2.0 / 3], result.Cohorts[0].Retention);
        var groups = result.Breakdown!;
        Assert.Equal(["(none)", "enterprise"], groups.Select(g => g.Value));
        Assert.Equal([1, 2], groups[0].Cohorts.Select(c => c.Users));
        Assert.Equal([1.0, 0, 1], groups[0].Cohorts[0].Retention);
        Assert.Equal([1.0, 0.5], groups[0].Cohorts[1].Retention);
        Assert.Equal([2, 0], groups[1].Cohorts.Select(c => c.Users));
        Assert.Equal([1.0, 0.5, 0.5], groups[1].Cohorts[0].Retention);
        Assert.Equal([null, null], groups[1].Cohorts[1].Retention);
    }

    [Fact]
    public async Task RunAsync_WithoutBreakdown_HasNoGroups()
    {
        await SeedAccountsAsync(_factory.Services);

        var result = await Query().RunAsync(D("2026-03-02"), D("2026-03-15"));

        Assert.Null(result.Breakdown);
        Assert.Equal([3, 2], result.Cohorts.Select(c => c.Users));
    }

    [Fact]
    public async Task RunAsync_ByAccountTraitWithMoreThan25Accounts_FoldsTheSmallestIntoOther()
    {
        // Accounts c00..c26, plan p00..p26, every user active on 03-03 only (cohort 03-02); c00 has 3
        // users, the others one each. Kept: p00 and p01..p24 (first of the ties); (other): p25 p26, 2 users.
        await new AnalyticsData(_factory.Services).ManyAccounts("APP_OPENED", "2026-03-03T10:00:00Z").SaveAsync();

        var result = await Query().RunAsync(D("2026-03-02"), D("2026-03-08"), Breakdown.Account("plan"));

        var groups = result.Breakdown!;
        Assert.Equal([.. Enumerable.Range(0, 25).Select(v => $"p{v:D2}"), "(other)"], groups.Select(g => g.Value).ToList());
        Assert.Equal(3, Assert.Single(groups[0].Cohorts).Users);
        var other = Assert.Single(groups[25].Cohorts);
        Assert.Equal(2, other.Users);
        Assert.Equal([1.0, 0, 0], other.Retention);
        Assert.Equal(29, Assert.Single(result.Cohorts).Users);
    }

    [Fact]
    public async Task GetRetention_Breakdown_ServesGroupsInJsonAndCsv()
    {
        await using var app = _factory.WithClock(Now);
        await SeedAccountsAsync(app.Services);
        using var client = app.CreateReaderClient();

        // group.plan from 03-09 only: g2 (none) and n1 (none): one group. plan (a user trait): n1 free, g2 (none).
        var json = await client.GetJsonAsync("/api/insights/retention?from=2026-03-09&to=2026-03-15&breakdown=group.plan");
        var csv = await client.GetCsvAsync("/api/insights/retention?from=2026-03-09&to=2026-03-15&breakdown=plan&format=csv");

        Assert.Equal("""{"cohorts":[{"week":"2026-03-09","users":2,"retention":[1,0.5]}]""" +
                     ""","breakdown":[{"value":"(none)","cohorts":[{"week":"2026-03-09","users":2,"retention":[1,0.5]}]}]}""", json.GetRawText());
        Assert.Equal("breakdown,week,users,week0,week1\r\n(all),2026-03-09,2,1,0.5\r\n" +
                     "(none),2026-03-09,1,1,1\r\nfree,2026-03-09,1,1,0\r\n", csv);
    }
}
