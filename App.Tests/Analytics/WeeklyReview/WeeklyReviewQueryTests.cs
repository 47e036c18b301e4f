using Dashboard.Analytics;
using Dashboard.Analytics.Activation;
using Dashboard.Analytics.Activity;
using Dashboard.Analytics.Engagement;
using Dashboard.Analytics.WeeklyReview;
using Dashboard.Tests.TestSupport;
using Microsoft.Extensions.Options;
using static Dashboard.Tests.Analytics.AnalyticsData;

namespace Dashboard.Tests.Analytics.WeeklyReview;

public sealed class WeeklyReviewQueryTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    // Now is Monday 2026-03-23 12:00 UTC, so the review covers 03-16..03-22 (the last 7 full days)
    // against 03-09..03-15. Retention cohorts: first event in 02-16..02-22 (for this week) and
    // 02-09..02-15 (for last week). Sparklines: 02-23..03-22. Feature trend: 8 weeks from 01-26.
    //   u1  02-10 first; 03-10; 03-17 search            → prev cohort, retained last week; active both weeks
    //   u2  02-17 first; 03-18 open + dark_mode         → this week's cohort, retained
    //   u3  02-18 first; 03-12; 03-13                   → this week's cohort, not retained; active last week
    //   u4  REG 03-16 00:00:00, PROJECT 03-20, search   → new this week, activated
    //   u5  REG 03-22 23:59:59                          → new this week, pending (window open at now)
    //   u6  REG 03-09 10:00, PROJECT 03-17 10:00        → new last week, not activated (8 days), active both weeks
    //   u7  REG + PROJECT + search 03-12                → new last week, activated
    //   u8  03-23 01:00 (today)                         → in no period
    //   u9  legacy_reports 02-25 only                   → a feature seen in 8 weeks but not this week
    //   u10 03-15 23:59:59 first                        → new last week (last second of the period)
    //   u11 01-05 first; 03-14                          → active last week only
    // Active users: this week u1 u2 u4 u5 u6 = 5; last week u1 u3 u6 u7 u10 u11 = 6.
    // Events: this week 1+2+3+1+1 = 8; last week 1+2+1+3+1+1 = 9. New users: 2 (u4, u5) and 3 (u6, u7, u10).
    // Activation: this week 1 activated, 1 pending of 2 → 1/(2−1) = 1; last week 1 of 2, 0 pending → 0.5.
    // Retention: this week 1 of 2 (u2 of u2,u3) = 0.5; last week 1 of 1 (u1) = 1.
    // Features this week (threshold 0.3): search 2/5 = 0.4 (last week 1 user), dark_mode 1/5 = 0.2 unused,
    // legacy_reports not seen → 0 users, unused.
    private static readonly DateTimeOffset Now = T("2026-03-23T12:00:00Z");

    private Task SeedAsync() => new AnalyticsData(_factory.Services)
        .Event("u1", "APP_OPENED", "2026-02-10T09:00:00Z")
        .Event("u1", "APP_OPENED", "2026-03-10T09:00:00Z")
        .Event("u1", "FEATURE_ENGAGED", "2026-03-17T09:00:00Z", new { featureName = "search" })
        .Event("u2", "APP_OPENED", "2026-02-17T09:00:00Z")
        .Event("u2", "APP_OPENED", "2026-03-18T09:00:00Z")
        .Event("u2", "FEATURE_ENGAGED", "2026-03-18T09:05:00Z", new { featureName = "dark_mode" })
        .Event("u3", "APP_OPENED", "2026-02-18T09:00:00Z")
        .Event("u3", "APP_OPENED", "2026-03-12T09:00:00Z")
        .Event("u3", "APP_OPENED", "2026-03-13T09:00:00Z")
        .Event("u4", "USER_REGISTERED", "2026-03-16T00:00:00Z")
        .Event("u4", "PROJECT_CREATED", "2026-03-20T10:00:00Z")
        .Event("u4", "FEATURE_ENGAGED", "2026-03-20T10:05:00Z", new { featureName = "search" })
        .Event("u5", "USER_REGISTERED", "2026-03-22T23:59:59Z")
        .Event("u6", "USER_REGISTERED", "2026-03-09T10:00:00Z")
        .Event("u6", "PROJECT_CREATED", "2026-03-17T10:00:00Z")
        .Event("u7", "USER_REGISTERED", "2026-03-12T10:00:00Z")
        .Event("u7", "PROJECT_CREATED", "2026-03-12T11:00:00Z")
        .Event("u7", "FEATURE_ENGAGED", "2026-03-12T11:05:00Z", new { featureName = "search" })
        .Event("u8", "APP_OPENED", "2026-03-23T01:00:00Z")
        .Event("u9", "FEATURE_ENGAGED", "2026-02-25T09:00:00Z", new { featureName = "legacy_reports" })
        .Event("u10", "APP_OPENED", "2026-03-15T23:59:59Z")
        .Event("u11", "APP_OPENED", "2026-01-05T09:00:00Z")
        .Event("u11", "APP_OPENED", "2026-03-14T09:00:00Z")
        .SaveAsync();

    private WeeklyReviewQuery Query()
    {
        var db = _factory.Db();
        var clock = new FixedClock(Now);
        var features = new FeatureEngagementQuery(db, Options.Create(new AnalyticsOptions { UnusedAdoption = 0.3 }));
        return new WeeklyReviewQuery(new ActivityQuery(db), new ActivationQuery(db, clock), features, new NewUsersQuery(db), clock);
    }

    [Fact]
    public async Task RunAsync_Default_ComparesLastSevenFullDaysWithTheSevenBefore()
    {
        await SeedAsync();

        var r = await Query().RunAsync();

        Assert.Equal((D("2026-03-16"), D("2026-03-22"), D("2026-03-09"), D("2026-03-15")), (r.From, r.To, r.PreviousFrom, r.PreviousTo));
        Assert.Equal(new Change(5, 6), r.ActiveUsers);
        Assert.Equal(-1, r.ActiveUsers.Delta);
        Assert.Equal(-1.0 / 6, r.ActiveUsers.Relative!.Value, 12);
        Assert.Equal(new Change(8, 9), r.Events);
        Assert.Equal(new Change(2, 3), r.NewUsers);
        Assert.Equal(new Change(1.0, 0.5), r.ActivationRate);
        Assert.Equal((2, 1, 1), (r.Activation.SignedUp, r.Activation.Activated, r.Activation.Pending));
        Assert.Equal((2, 1, 0), (r.PreviousActivation.SignedUp, r.PreviousActivation.Activated, r.PreviousActivation.Pending));
        Assert.Equal(new Change(0.5, 1.0), r.Retention);
        Assert.Equal(new CohortActivity(D("2026-02-16"), D("2026-02-22"), 2, 1), r.RetainedCohort);
        Assert.Equal(new CohortActivity(D("2026-02-09"), D("2026-02-15"), 1, 1), r.PreviousRetainedCohort);
        Assert.False(r.IsEmpty);
    }

    [Fact]
    public async Task RunAsync_Default_ListsTopAndUnusedFeaturesWithTrend()
    {
        await SeedAsync();

        var r = await Query().RunAsync();

        var search = Assert.Single(r.TopFeatures);
        Assert.Equal(("search", 2, 1, 0.4, 2L), (search.FeatureName, search.Users, search.PreviousUsers, search.Adoption!.Value, search.Events));
        Assert.Equal(8, search.Trend.Count);
        Assert.Equal(new FeatureWeek(D("2026-01-26"), 0, 0), search.Trend[0]);
        Assert.Equal(new FeatureWeek(D("2026-03-09"), 1, 1), search.Trend[6]);
        Assert.Equal(new FeatureWeek(D("2026-03-16"), 2, 2), search.Trend[7]);
        Assert.Equal(["legacy_reports", "dark_mode"], r.UnusedFeatures.Select(f => f.FeatureName));
        Assert.Equal((0, 0.0), (r.UnusedFeatures[0].Users, r.UnusedFeatures[0].Adoption!.Value));
        Assert.Equal(new FeatureWeek(D("2026-02-23"), 1, 1), r.UnusedFeatures[0].Trend[4]);
        Assert.Equal((1, 0.2), (r.UnusedFeatures[1].Users, r.UnusedFeatures[1].Adoption!.Value));
    }

    [Fact]
    public async Task RunAsync_Default_GivesTwentyEightDaysOfSparklines()
    {
        await SeedAsync();

        var r = await Query().RunAsync();

        Assert.Equal(28, r.Daily.Count);
        Assert.Equal((D("2026-02-23"), D("2026-03-22")), (r.Daily[0].Start, r.Daily[^1].Start));
        Assert.Equal(new ActivityPoint(D("2026-03-18"), 1, 2), r.Daily.Single(p => p.Start == D("2026-03-18")));
        Assert.Equal(new ActivityPoint(D("2026-03-22"), 1, 1), r.Daily[^1]);
        Assert.Equal(28, r.NewUsersDaily.Count);
        Assert.Equal(
            [new NewUsersDay(D("2026-02-25"), 1), new NewUsersDay(D("2026-03-09"), 1), new NewUsersDay(D("2026-03-12"), 1),
             new NewUsersDay(D("2026-03-15"), 1), new NewUsersDay(D("2026-03-16"), 1), new NewUsersDay(D("2026-03-22"), 1)],
            r.NewUsersDaily.Where(d => d.Users > 0));
    }

    [Fact]
    public async Task RunAsync_PastWeek_ReviewsTheSevenDaysEndingOnThatDay()
    {
        await SeedAsync();

        var r = await Query().RunAsync(D("2026-03-15"));

        Assert.Equal((D("2026-03-09"), D("2026-03-15"), D("2026-03-02"), D("2026-03-08")), (r.From, r.To, r.PreviousFrom, r.PreviousTo));
        Assert.Equal(new Change(6, 0), r.ActiveUsers);
        Assert.Null(r.ActiveUsers.Relative);
        Assert.Equal(new Change(9, 0), r.Events);
        Assert.Equal(new Change(3, 0), r.NewUsers);
        // u6 signed up 03-09 and did not activate within 7 days; u7 did: 1 of 2, nobody pending.
        Assert.Equal(new Change(0.5, null), r.ActivationRate);
        Assert.Null(r.ActivationRate.Delta);
        Assert.Equal(new Change(1.0, null), r.Retention);
    }

    [Fact]
    public async Task RunAsync_NoEvents_IsEmptyWithUnknownRates()
    {
        var r = await Query().RunAsync();

        Assert.True(r.IsEmpty);
        Assert.Equal(new Change(0, 0), r.ActiveUsers);
        Assert.Equal(new Change(null, null), r.ActivationRate);
        Assert.Equal(new Change(null, null), r.Retention);
        Assert.Empty(r.TopFeatures);
        Assert.Empty(r.UnusedFeatures);
        Assert.All(r.Daily, p => Assert.Equal(0, p.ActiveUsers));
    }
}
