using System.Net;
using Dashboard.Analytics.Funnels;
using Dashboard.Tests.TestSupport;
using static Dashboard.Tests.Analytics.AnalyticsData;

namespace Dashboard.Tests.Analytics.Funnels;

public sealed class FunnelPeopleTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = T("2026-03-20T12:00:00Z");
    private readonly DashboardFactory _factory = new();
    private AnalyticsData _data = default!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private FunnelQuery Query() => new(_factory.Db(), new FixedClock(Now));

    // Steps A → B → C, window 2 days, range 03-02..03-08, exclude X.
    //   u1 A 03-02 10:00, B 03-02 11:00, C 03-03 10:00                        → 3
    //   u2 A 03-02 09:00, B 03-03 09:00, C 03-05 09:00:01 (past the window)     → 2
    //   u3 A 03-04 10:00                                                        → 1
    //   u4 A 03-03 10:00, B 03-03 10:00 (same millisecond: counts)              → 2
    //   u5 A 03-02 12:00, X 03-02 13:00, B 03-02 14:00 (the exclusion ends it)  → 1
    //   u6 A 03-01 10:00 (before from), B, C                                    → never starts
    // Dropped at step 2 (reached 1, not 2): u5 (start 03-02 12:00), u3 (03-04) — by the best attempt's start.
    // Dropped at step 3: u2 (03-02 09:00), u4 (03-03 10:00). Converted at 3: u1. Converted at 1: u2 u1 u5 u4 u3.
    private async Task SeedAsync()
    {
        _data = new AnalyticsData(_factory.Services)
            .Event("u1", "A", "2026-03-02T10:00:00Z").Event("u1", "B", "2026-03-02T11:00:00Z").Event("u1", "C", "2026-03-03T10:00:00Z")
            .Event("u2", "A", "2026-03-02T09:00:00Z").Event("u2", "B", "2026-03-03T09:00:00Z").Event("u2", "C", "2026-03-05T09:00:01Z")
            .Event("u3", "A", "2026-03-04T10:00:00Z")
            .Event("u4", "A", "2026-03-03T10:00:00Z").Event("u4", "B", "2026-03-03T10:00:00Z")
            .Event("u5", "A", "2026-03-02T12:00:00Z").Event("u5", "X", "2026-03-02T13:00:00Z").Event("u5", "B", "2026-03-02T14:00:00Z")
            .Event("u6", "A", "2026-03-01T10:00:00Z").Event("u6", "B", "2026-03-02T10:00:00Z").Event("u6", "C", "2026-03-02T11:00:00Z");
        await _data.SaveAsync();
    }

    private static FunnelRequest Request() =>
        new(["A", "B", "C"], D("2026-03-02"), D("2026-03-08"), TimeSpan.FromDays(2), Exclude: ["X"]);

    private async Task<List<string>> IdsAsync(int step, FunnelOutcome outcome) =>
        (await Query().PeopleAsync(Request(), step, outcome, 50)).People.Select(p => p.Id).ToList();

    [Fact]
    public async Task PeopleAsync_DroppedAndConverted_AreTheUsersBehindEachFigure()
    {
        await SeedAsync();

        var dropped2 = await IdsAsync(2, FunnelOutcome.Dropped);
        var dropped3 = await IdsAsync(3, FunnelOutcome.Dropped);
        var converted3 = await IdsAsync(3, FunnelOutcome.Converted);
        var converted1 = await IdsAsync(1, FunnelOutcome.Converted);

        Assert.Equal([_data.Key("u5"), _data.Key("u3")], dropped2);
        Assert.Equal([_data.Key("u2"), _data.Key("u4")], dropped3);
        Assert.Equal([_data.Key("u1")], converted3);
        Assert.Equal(new[] { "u2", "u1", "u5", "u4", "u3" }.Select(_data.Key), converted1);
        // The lists add up to the funnel's own figures.
        var funnel = await Query().RunAsync(Request());
        Assert.Equal(funnel.Steps[0].Users - funnel.Steps[1].Users, dropped2.Count);
        Assert.Equal(funnel.Steps[1].Users - funnel.Steps[2].Users, dropped3.Count);
        Assert.Equal(funnel.Steps[2].Users, converted3.Count);
    }

    [Fact]
    public async Task PeopleAsync_Pages_NeitherLoseNorRepeat()
    {
        await SeedAsync();

        var first = await Query().PeopleAsync(Request(), 1, FunnelOutcome.Converted, 2);
        var second = await Query().PeopleAsync(Request(), 1, FunnelOutcome.Converted, 2, first.Next);
        var third = await Query().PeopleAsync(Request(), 1, FunnelOutcome.Converted, 2, second.Next);

        Assert.Equal(new[] { "u2", "u1", "u5", "u4", "u3" }.Select(_data.Key),
            first.People.Concat(second.People).Concat(third.People).Select(p => p.Id));
        Assert.Null(third.Next);
        var u4 = second.People[1];
        Assert.Equal(2, u4.ReachedSteps);
        Assert.Equal(T("2026-03-03T10:00:00Z"), u4.StartedAt);
        Assert.Equal(T("2026-03-03T10:00:00Z"), u4.LastStepAt);
    }

    [Fact]
    public async Task PeopleAsync_NobodyStarted_IsEmpty()
    {
        await SeedAsync();

        var page = await Query().PeopleAsync(Request() with { From = D("2026-03-10"), To = D("2026-03-12") }, 2, FunnelOutcome.Dropped, 50);

        Assert.Empty(page.People);
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task Api_DroppedAtStep_AnswersIdsAndValidatesTheStep()
    {
        await SeedAsync();
        using var client = _factory.WithClock(Now).CreateReaderClient();
        const string funnel = "/api/insights/funnels/people?steps=A,B,C&window=2d&from=2026-03-02&to=2026-03-08&exclude=X";

        var json = await client.GetJsonAsync(funnel + "&step=3&outcome=dropped&limit=1");
        var people = json.GetProperty("people");
        Assert.Equal(_data.Key("u2"), Assert.Single(people.EnumerateArray()).GetProperty("id").GetString());
        var next = json.GetProperty("nextCursor").GetString();
        var rest = await client.GetJsonAsync(funnel + $"&step=3&limit=1&cursor={next}");
        Assert.Equal(_data.Key("u4"), rest.GetProperty("people")[0].GetProperty("id").GetString());

        foreach (var bad in new[] { "&step=1", "&step=4", "&step=x", "", "&step=2&outcome=maybe", "&step=2&limit=0", "&step=2&cursor=nope" })
        {
            using var response = await client.GetAsync(funnel + bad);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{bad}: {(int)response.StatusCode}");
        }
    }
}
