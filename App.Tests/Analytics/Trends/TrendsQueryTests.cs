using Dashboard.Analytics;
using Dashboard.Analytics.Trends;
using Dashboard.Tests.TestSupport;
using static Dashboard.Tests.Analytics.AnalyticsData;

namespace Dashboard.Tests.Analytics.Trends;

public sealed class TrendsQueryTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private TrendsQuery Query() => new(_factory.Db());

    // Range 03-02 (Mon) .. 03-15 (Sun): 14 days, two ISO weeks. ORDER events:
    //   a 03-02 10:00 blank total 10 | a 03-02 18:00 blank total "5" (a number in a string counts)
    //   b 03-03 00:00:00 kanban total 20 | c 03-08 12:00 kanban total "n/a" (not a number: left out)
    //   b 03-15 23:59:59 blank, no total (last second of `to`)
    //   d 03-16 00:00:00 (first second after `to`) and e 03-01 23:59:59 (last second before `from`): outside
    //   a OTHER 03-04: another event
    // Traits plan: a pro, b free, c none.
    private Task SeedAsync() => new AnalyticsData(_factory.Services)
        .User("a", new { plan = "pro" }).User("b", new { plan = "free" })
        .Event("a", "ORDER", "2026-03-02T10:00:00Z", new { template = "blank", total = 10 })
        .Event("a", "ORDER", "2026-03-02T18:00:00Z", new { template = "blank", total = "5" })
        .Event("b", "ORDER", "2026-03-03T00:00:00Z", new { template = "kanban", total = 20 })
        .Event("c", "ORDER", "2026-03-08T12:00:00Z", new { template = "kanban", total = "n/a" })
        .Event("b", "ORDER", "2026-03-15T23:59:59Z", new { template = "blank" })
        .Event("d", "ORDER", "2026-03-16T00:00:00Z", new { template = "blank", total = 100 })
        .Event("e", "ORDER", "2026-03-01T23:59:59Z", new { template = "blank", total = 1 })
        .Event("a", "OTHER", "2026-03-04T10:00:00Z")
        .SaveAsync();

    private static TrendsRequest Request(TrendMeasure? measure = null, TrendInterval interval = TrendInterval.Day,
        Breakdown? breakdown = null, bool compare = false, params KeyValuePair<string, string>[] where) =>
        new("ORDER", where, measure ?? TrendMeasure.Total, interval, D("2026-03-02"), D("2026-03-15"), breakdown, compare);

    private static double?[] Values(TrendSeries s) => s.Points.Select(p => p.Value).ToArray();

    [Fact]
    public async Task RunAsync_TotalPerDay_CountsEveryBucketIncludingEmptyOnes()
    {
        await SeedAsync();

        var series = Assert.Single((await Query().RunAsync(Request())).Series);

        Assert.Null(series.Breakdown);
        Assert.Equal(14, series.Points.Count);
        Assert.Equal(D("2026-03-02"), series.Points[0].Start);
        Assert.Equal(new double?[] { 2, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1 }, Values(series));
        Assert.Equal(5, series.Total);
    }

    [Fact]
    public async Task RunAsync_UsersAndPerUser_CountDistinctIdentitiesPerBucketAndOverTheRange()
    {
        await SeedAsync();

        var users = Assert.Single((await Query().RunAsync(Request(new TrendMeasure(TrendMeasureKind.Users)))).Series);
        var perUser = Assert.Single((await Query().RunAsync(Request(new TrendMeasure(TrendMeasureKind.PerUser)))).Series);

        Assert.Equal(new double?[] { 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1 }, Values(users));
        Assert.Equal(3, users.Total); // a, b, c: b's two days count once
        Assert.Equal(new double?[] { 2, 1, null, null, null, null, 1, null, null, null, null, null, null, 1 }, Values(perUser));
        Assert.Equal(5.0 / 3, perUser.Total!.Value, 12);
    }

    [Fact]
    public async Task RunAsync_SumAndAvgOfAProperty_TakeOnlyNumbers()
    {
        await SeedAsync();

        var sum = Assert.Single((await Query().RunAsync(Request(new TrendMeasure(TrendMeasureKind.Sum, "total")))).Series);
        var avg = Assert.Single((await Query().RunAsync(Request(new TrendMeasure(TrendMeasureKind.Avg, "total")))).Series);

        Assert.Equal(new double?[] { 15, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, Values(sum));
        Assert.Equal(35, sum.Total);
        Assert.Equal(new double?[] { 7.5, 20, null, null, null, null, null, null, null, null, null, null, null, null }, Values(avg));
        Assert.Equal(35.0 / 3, avg.Total!.Value, 12);
    }

    [Fact]
    public async Task RunAsync_WeeksAndMonths_LabelBucketsByTheirFirstDay()
    {
        await SeedAsync();

        var weeks = Assert.Single((await Query().RunAsync(Request(interval: TrendInterval.Week))).Series);
        var months = Assert.Single((await Query().RunAsync(Request(interval: TrendInterval.Month))).Series);

        Assert.Equal([(D("2026-03-02"), 4.0), (D("2026-03-09"), 1.0)], weeks.Points.Select(p => (p.Start, p.Value!.Value)));
        Assert.Equal([(D("2026-03-01"), 5.0)], months.Points.Select(p => (p.Start, p.Value!.Value)));
    }

    [Fact]
    public async Task RunAsync_MonthEnds_FallInTheirOwnMonth()
    {
        await new AnalyticsData(_factory.Services)
            .Event("m", "ORDER", "2026-01-31T23:59:59Z").Event("m", "ORDER", "2026-02-01T00:00:00Z")
            .Event("m", "ORDER", "2026-02-28T23:59:59Z").Event("n", "ORDER", "2026-03-01T00:00:00Z")
            .SaveAsync();

        var request = new TrendsRequest("ORDER", [], new TrendMeasure(TrendMeasureKind.Users), TrendInterval.Month, D("2026-01-15"), D("2026-03-10"));
        var series = Assert.Single((await Query().RunAsync(request)).Series);

        Assert.Equal([(D("2026-01-01"), 1.0), (D("2026-02-01"), 1.0), (D("2026-03-01"), 1.0)], series.Points.Select(p => (p.Start, p.Value!.Value)));
        Assert.Equal(2, series.Total);
    }

    [Fact]
    public async Task RunAsync_WhereCondition_KeepsOnlyMatchingEvents()
    {
        await SeedAsync();

        var series = Assert.Single((await Query().RunAsync(Request(where: new KeyValuePair<string, string>("template", "kanban")))).Series);

        Assert.Equal(2, series.Total);
        Assert.Equal(1, series.Points[1].Value);
        Assert.Equal(1, series.Points[6].Value);
    }

    [Fact]
    public async Task RunAsync_BreakdownByPropertyAndByTrait_OneSeriesPerValueLargestFirst()
    {
        await SeedAsync();

        var byTemplate = (await Query().RunAsync(Request(breakdown: Breakdown.Event("template")))).Series;
        var byPlan = (await Query().RunAsync(Request(new TrendMeasure(TrendMeasureKind.Users), breakdown: Breakdown.User("plan")))).Series;

        Assert.Equal([("blank", 3.0), ("kanban", 2.0)], byTemplate.Select(s => (s.Breakdown!, s.Total!.Value)));
        Assert.Equal(new double?[] { 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, Values(byTemplate[0]));
        Assert.Equal([("(none)", 1.0), ("free", 1.0), ("pro", 1.0)], byPlan.Select(s => (s.Breakdown!, s.Total!.Value)));
    }

    [Fact]
    public async Task RunAsync_BreakdownWithMoreThan25Values_FoldsTheRestIntoOther()
    {
        // v00..v24: two events each (two users); v25..v29: one event each, all by user z.
        var data = new AnalyticsData(_factory.Services);
        for (var v = 0; v < 25; v++)
            data.Event($"k{v}a", "ORDER", "2026-03-03T10:00:00Z", new { src = $"v{v:D2}" })
                .Event($"k{v}b", "ORDER", "2026-03-04T10:00:00Z", new { src = $"v{v:D2}" });
        for (var v = 25; v < 30; v++) data.Event("z", "ORDER", "2026-03-05T10:00:00Z", new { src = $"v{v:D2}" });
        await data.SaveAsync();

        var events = (await Query().RunAsync(Request(breakdown: Breakdown.Event("src")))).Series;
        var users = (await Query().RunAsync(Request(new TrendMeasure(TrendMeasureKind.Users), breakdown: Breakdown.Event("src")))).Series;

        Assert.Equal(26, events.Count);
        Assert.Equal((BreakdownGroups.Other, 5.0), (events[^1].Breakdown!, events[^1].Total!.Value));
        Assert.Equal((BreakdownGroups.Other, 1.0), (users[^1].Breakdown!, users[^1].Total!.Value)); // z counts once
        Assert.Equal("v00", events[0].Breakdown);
    }

    [Fact]
    public async Task RunAsync_ComparePrevious_AddsThePeriodOfAsManyDaysBefore()
    {
        await SeedAsync();

        var result = await Query().RunAsync(Request(compare: true));

        var previous = Assert.Single(result.Previous!);
        Assert.Equal(D("2026-02-16"), previous.Points[0].Start);
        Assert.Equal(14, previous.Points.Count);
        Assert.Equal(1, previous.Points[^1].Value); // e, 03-01 23:59:59
        Assert.Equal(1, previous.Total);
    }

    [Fact]
    public async Task RunAsync_NoEvents_GivesZerosAndNulls()
    {
        var total = Assert.Single((await Query().RunAsync(Request())).Series);
        var avg = Assert.Single((await Query().RunAsync(Request(new TrendMeasure(TrendMeasureKind.Avg, "total")))).Series);

        Assert.All(total.Points, p => Assert.Equal(0, p.Value));
        Assert.Equal(0, total.Total);
        Assert.All(avg.Points, p => Assert.Null(p.Value));
        Assert.Null(avg.Total);
    }

    [Fact]
    public async Task GetTrends_Csv_ServesOneRowPerPoint()
    {
        await SeedAsync();
        using var client = _factory.CreateReaderClient();

        var csv = await client.GetCsvAsync("/api/insights/trends?event=ORDER&interval=week&from=2026-03-02&to=2026-03-15&breakdown=template&format=csv");

        Assert.Equal("period,breakdown,start,value\r\ncurrent,blank,2026-03-02,2\r\ncurrent,blank,2026-03-09,1\r\n" +
                     "current,kanban,2026-03-02,2\r\ncurrent,kanban,2026-03-09,0\r\n", csv);
    }

    [Fact]
    public async Task GetTrends_Json_HasTheSpecShape()
    {
        await SeedAsync();
        using var client = _factory.CreateReaderClient();

        var json = await client.GetJsonAsync("/api/insights/trends?event=ORDER&measure=users&from=2026-03-02&to=2026-03-03&compare=previous");

        var series = Assert.Single(json.GetProperty("series").EnumerateArray());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, series.GetProperty("breakdown").ValueKind);
        Assert.Equal("2026-03-02", series.GetProperty("points")[0].GetProperty("start").GetString());
        Assert.Equal(1, series.GetProperty("points")[0].GetProperty("value").GetDouble());
        Assert.Equal(2, series.GetProperty("total").GetDouble());
        Assert.Equal(1, json.GetProperty("previous")[0].GetProperty("total").GetDouble()); // e on 03-01
    }

    // ORDER events, range 03-02..03-15. Accounts: acme { plan enterprise }, globex (no plan).
    //   a1 acme 03-02 10:00 and 03-03 10:00 | a2 acme 03-03 11:00 | g1 globex 03-04 10:00 | n1 no account 03-05 10:00
    // group.plan, total: enterprise 3 (03-02 1, 03-03 2), (none) 2.   users: (none) 2, enterprise 2 (tie: by value).
    [Fact]
    public async Task GetTrends_GroupBreakdown_OneSeriesPerAccountValue()
    {
        await new AnalyticsData(_factory.Services)
            .Account("acme", new { plan = "enterprise" }).Account("globex", new { industry = "energy" })
            .Member("a1", "acme").Member("a2", "acme").Member("g1", "globex")
            .Event("a1", "ORDER", "2026-03-02T10:00:00Z").Event("a1", "ORDER", "2026-03-03T10:00:00Z")
            .Event("a2", "ORDER", "2026-03-03T11:00:00Z").Event("g1", "ORDER", "2026-03-04T10:00:00Z")
            .Event("n1", "ORDER", "2026-03-05T10:00:00Z")
            .SaveAsync();
        using var client = _factory.CreateReaderClient();

        var total = await client.GetJsonAsync("/api/insights/trends?event=ORDER&from=2026-03-02&to=2026-03-15&breakdown=group.plan");
        var users = (await Query().RunAsync(Request(new TrendMeasure(TrendMeasureKind.Users), breakdown: Breakdown.Account("plan")))).Series;

        var series = total.GetProperty("series").EnumerateArray().ToList();
        Assert.Equal([("enterprise", 3.0), ("(none)", 2.0)], series.Select(s => (s.GetProperty("breakdown").GetString()!, s.GetProperty("total").GetDouble())));
        Assert.Equal([1.0, 2.0, 0.0], series[0].GetProperty("points").EnumerateArray().Take(3).Select(p => p.GetProperty("value").GetDouble()));
        Assert.Equal([("(none)", 2.0), ("enterprise", 2.0)], users.Select(s => (s.Breakdown!, s.Total!.Value)));
    }

    [Fact]
    public async Task RunAsync_GroupBreakdownWithMoreThan25Accounts_FoldsTheSmallestIntoOther()
    {
        await new AnalyticsData(_factory.Services).ManyAccounts("ORDER", "2026-03-03T10:00:00Z").SaveAsync();

        var series = (await Query().RunAsync(Request(breakdown: Breakdown.Account("plan")))).Series;

        Assert.Equal([.. Enumerable.Range(0, 25).Select(v => $"p{v:D2}"), "(other)"], series.Select(s => s.Breakdown).ToList());
        Assert.Equal((3.0, 2.0), (series[0].Total!.Value, series[^1].Total!.Value));
    }
}
