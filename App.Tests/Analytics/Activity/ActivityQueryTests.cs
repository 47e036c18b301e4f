using Dashboard.Analytics.Activity;
using Dashboard.Tests.TestSupport;
using static Dashboard.Tests.Analytics.AnalyticsData;

namespace Dashboard.Tests.Analytics.Activity;

public sealed class ActivityQueryTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    // 2026-03-08 is a Sunday and 2026-03-09 a Monday: the range 03-07..03-11 crosses an ISO week boundary.
    //   a: two events at the same instant 03-07 10:00 (a tie), one at 03-09 00:00:00
    //   b: 03-08 23:59:59 (last second of the ISO week), 03-09 08:00
    //   c: 03-11 12:00
    //   d: 03-11 23:59:59 (last second of `to`, counts), 03-12 00:00:00 (first second after `to`, not counted)
    //   e: 03-06 23:59:59 (one second before `from`, not counted)
    // Days:  03-07 a,a → 1 user 2 events; 03-08 b → 1/1; 03-09 a,b → 2/2; 03-10 → 0/0 (empty bucket);
    //        03-11 c,d → 2/2.
    // Weeks: 2026-03-02 (only 03-07, 03-08 are in range) a,a,b → 2 users 3 events;
    //        2026-03-09 (03-09..03-11) a,b,c,d → 4 users 4 events.
    private Task SeedAsync() => new AnalyticsData(_factory.Services)
        .Event("a", "APP_OPENED", "2026-03-07T10:00:00Z")
        .Event("a", "FEATURE_ENGAGED", "2026-03-07T10:00:00Z", new { featureName = "search" })
        .Event("a", "APP_OPENED", "2026-03-09T00:00:00Z")
        .Event("b", "APP_OPENED", "2026-03-08T23:59:59Z")
        .Event("b", "APP_OPENED", "2026-03-09T08:00:00Z")
        .Event("c", "APP_OPENED", "2026-03-11T12:00:00Z")
        .Event("d", "APP_OPENED", "2026-03-11T23:59:59Z")
        .Event("d", "APP_OPENED", "2026-03-12T00:00:00Z")
        .Event("e", "APP_OPENED", "2026-03-06T23:59:59Z")
        .SaveAsync();

    [Fact]
    public async Task RunAsync_Days_CountsDistinctUsersAndEventsWithEmptyBuckets()
    {
        await SeedAsync();

        var result = await new ActivityQuery(_factory.Db()).RunAsync(D("2026-03-07"), D("2026-03-11"), ActivityInterval.Day);

        Assert.Equal(
        [
            new ActivityPoint(D("2026-03-07"), 1, 2),
            new ActivityPoint(D("2026-03-08"), 1, 1),
            new ActivityPoint(D("2026-03-09"), 2, 2),
            new ActivityPoint(D("2026-03-10"), 0, 0),
            new ActivityPoint(D("2026-03-11"), 2, 2),
        ], result.Points);
    }

    [Fact]
    public async Task RunAsync_WeeksAcrossIsoBoundary_LabelsMondaysAndCountsOnlyDaysInRange()
    {
        await SeedAsync();

        var result = await new ActivityQuery(_factory.Db()).RunAsync(D("2026-03-07"), D("2026-03-11"), ActivityInterval.Week);

        Assert.Equal([new ActivityPoint(D("2026-03-02"), 2, 3), new ActivityPoint(D("2026-03-09"), 4, 4)], result.Points);
    }

    [Fact]
    public async Task RunAsync_EmptyRange_ReturnsZeroBuckets()
    {
        await SeedAsync();
        var query = new ActivityQuery(_factory.Db());

        // 03-10 has no event; the week of 03-16 none either.
        var day = await query.RunAsync(D("2026-03-10"), D("2026-03-10"), ActivityInterval.Day);
        var week = await query.RunAsync(D("2026-03-16"), D("2026-03-22"), ActivityInterval.Week);

        Assert.Equal([new ActivityPoint(D("2026-03-10"), 0, 0)], day.Points);
        Assert.Equal([new ActivityPoint(D("2026-03-16"), 0, 0)], week.Points);
    }

    [Fact]
    public async Task GetActivity_WeekCsv_ServesOneRowPerWeek()
    {
        await SeedAsync();
        using var client = _factory.CreateReaderClient();

        var csv = await client.GetCsvAsync("/api/insights/activity?from=2026-03-07&to=2026-03-11&interval=week&format=csv");

        Assert.Equal("start,activeUsers,events\r\n2026-03-02,2,3\r\n2026-03-09,4,4\r\n", csv);
    }

    [Fact]
    public async Task GetActivity_Days_ServesTheSpecShape()
    {
        await SeedAsync();
        using var client = _factory.CreateReaderClient();

        var json = await client.GetJsonAsync("/api/insights/activity?from=2026-03-08&to=2026-03-09&interval=day");

        Assert.Equal("""{"points":[{"start":"2026-03-08","activeUsers":1,"events":1},{"start":"2026-03-09","activeUsers":2,"events":2}]}""",
            json.GetRawText());
    }
}
