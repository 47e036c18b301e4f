using Dashboard.Analytics.Activation;
using Dashboard.Tests.TestSupport;
using static Dashboard.Tests.Analytics.AnalyticsData;

namespace Dashboard.Tests.Analytics.Activation;

public sealed class ActivationTrendQueryTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    // Now: 2026-03-20 12:00. Range 2026-03-04 (Wednesday) .. 2026-03-20: ISO weeks of 03-02, 03-09, 03-16.
    //   a  REG 03-04, PROJECT 03-11 00:00 (exactly 7 days after 03-04 00:00)  → week 03-02, activated
    //   b  REG 03-05, never                                                     → week 03-02, failed (window over)
    //   c  REG 03-01 (first signup before the range), REG 03-10                 → not in the range at all
    //   d  REG 03-18 10:00, never                                               → week 03-16, pending
    //   e  REG 03-19, PROJECT 03-19                                             → week 03-16, activated
    // Week 03-02: 2 signed up, 1 activated, 0 pending, rate 0.5; week 03-09: empty, null rate;
    // week 03-16: 2, 1, 1 pending, rate 1/(2-1) = 1. Totals: 4, 2, 1, 2/3 — the same as ActivationQuery.
    private Task SeedAsync() => new AnalyticsData(_factory.Services)
        .Event("a", "USER_REGISTERED", "2026-03-04T00:00:00Z")
        .Event("a", "PROJECT_CREATED", "2026-03-11T00:00:00Z")
        .Event("b", "USER_REGISTERED", "2026-03-05T10:00:00Z")
        .Event("c", "USER_REGISTERED", "2026-03-01T10:00:00Z")
        .Event("c", "USER_REGISTERED", "2026-03-10T10:00:00Z")
        .Event("d", "USER_REGISTERED", "2026-03-18T10:00:00Z")
        .Event("e", "USER_REGISTERED", "2026-03-19T10:00:00Z")
        .Event("e", "PROJECT_CREATED", "2026-03-19T11:00:00Z")
        .SaveAsync();

    [Fact]
    public async Task RunAsync_Weeks_GroupsBySignupWeekAndAddsUpToTheTotals()
    {
        await SeedAsync();
        var clock = new FixedClock(T("2026-03-20T12:00:00Z"));
        var request = new ActivationRequest(D("2026-03-04"), D("2026-03-20"));

        var weeks = await new ActivationTrendQuery(_factory.Db(), clock).RunAsync(request);
        var totals = await new ActivationQuery(_factory.Db(), clock).RunAsync(request);

        Assert.Equal(
        [
            new ActivationWeek(D("2026-03-02"), 2, 1, 0, 0.5),
            new ActivationWeek(D("2026-03-09"), 0, 0, 0, null),
            new ActivationWeek(D("2026-03-16"), 2, 1, 1, 1.0),
        ], weeks);
        Assert.Equal((totals.SignedUp, totals.Activated, totals.Pending),
            (weeks.Sum(w => w.SignedUp), weeks.Sum(w => w.Activated), weeks.Sum(w => w.Pending)));
    }

    [Fact]
    public async Task RunAsync_OtherEventsAndShorterWindow_FollowTheRequest()
    {
        await SeedAsync();
        var clock = new FixedClock(T("2026-03-20T12:00:00Z"));
        // Within 1 day: a's project 7 days later no longer counts; e's still does. d's day ended 03-19 10:00, so d failed.
        var request = new ActivationRequest(D("2026-03-04"), D("2026-03-20"), Within: TimeSpan.FromDays(1));

        var weeks = await new ActivationTrendQuery(_factory.Db(), clock).RunAsync(request);

        Assert.Equal(new ActivationWeek(D("2026-03-02"), 2, 0, 0, 0.0), weeks[0]);
        Assert.Equal(new ActivationWeek(D("2026-03-16"), 2, 1, 0, 0.5), weeks[2]);
    }
}
