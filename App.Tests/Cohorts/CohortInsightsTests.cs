using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Dashboard.Cohorts;
using Dashboard.Tests.Analytics;
using Dashboard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Cohorts;

/// <summary>
/// cohort=KEY on the insight endpoints, on one hand-made data set: the cohort "team" holds a and b
/// (plan team); c (plan free) is outside. a signs up and creates a project on 2 Nov, b signs up on
/// 3 Nov only, c signs up and creates a project on 2 Nov.
/// </summary>
public sealed class CohortInsightsTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = AnalyticsData.T("2026-11-30T12:00:00Z");
    private readonly DashboardFactory _factory = new(clock: new FixedClock(Now));
    private HttpClient _client = default!;

    public async Task InitializeAsync()
    {
        await new AnalyticsData(_factory.Services)
            .User("a", new { plan = "team" }).User("b", new { plan = "team" }).User("c", new { plan = "free" })
            .Event("a", "USER_REGISTERED", "2026-11-02T10:00:00Z").Event("a", "PROJECT_CREATED", "2026-11-02T11:00:00Z")
            .Event("b", "USER_REGISTERED", "2026-11-03T10:00:00Z")
            .Event("c", "USER_REGISTERED", "2026-11-02T10:00:00Z").Event("c", "PROJECT_CREATED", "2026-11-02T11:00:00Z")
            .SaveAsync();
        var created = await _factory.Services.GetRequiredService<CohortEditor>().CreateAsync(new CohortInput("team", "Team plan",
            CohortDefinition.Parse(JsonDocument.Parse("""{ "traits": [ { "trait": "plan", "values": ["team"] } ] }""").RootElement)), "test");
        Assert.Equal(2, created.Cohort!.Size);
        _client = _factory.CreateClient();
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DashboardFactory.ReadKey);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task Trends_Cohort_CountsOnlyItsMembers()
    {
        const string query = "/api/insights/trends?event=USER_REGISTERED&measure=users&from=2026-11-02&to=2026-11-03";

        var all = (await _client.GetJsonAsync(query)).GetProperty("series")[0];
        var team = (await _client.GetJsonAsync(query + "&cohort=team")).GetProperty("series")[0];

        Assert.Equal([2.0, 1.0], all.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("value").GetDouble()));
        Assert.Equal([1.0, 1.0], team.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("value").GetDouble()));
        Assert.Equal(2, team.GetProperty("total").GetDouble());
    }

    [Theory]
    [InlineData("")]
    [InlineData("&breakdown=user.plan")]
    public async Task Funnel_Cohort_OnlyItsMembersStart(string extra)
    {
        const string query = "/api/insights/funnel?steps=USER_REGISTERED,PROJECT_CREATED&from=2026-11-02&to=2026-11-03";

        var all = await _client.GetJsonAsync(query + extra);
        var team = await _client.GetJsonAsync(query + extra + "&cohort=team");

        Assert.Equal([3L, 2L], all.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("users").GetInt64()));
        Assert.Equal([2L, 1L], team.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("users").GetInt64()));
    }

    [Fact]
    public async Task Activation_Cohort_CountsOnlyItsMembers()
    {
        const string query = "/api/insights/activation?from=2026-11-02&to=2026-11-03";

        var all = await _client.GetJsonAsync(query);
        var team = await _client.GetJsonAsync(query + "&cohort=team");

        Assert.Equal((3, 2), (all.GetProperty("signedUp").GetInt32(), all.GetProperty("activated").GetInt32()));
        Assert.Equal((2, 1, 0), (team.GetProperty("signedUp").GetInt32(), team.GetProperty("activated").GetInt32(), team.GetProperty("pending").GetInt32()));
        Assert.Equal(0.5, team.GetProperty("rate").GetDouble());
    }

    [Theory]
    [InlineData("/api/insights/activation?from=2026-11-02&to=2026-11-03&cohort=nope")]
    [InlineData("/api/insights/trends?event=USER_REGISTERED&from=2026-11-02&to=2026-11-03&cohort=nope")]
    [InlineData("/api/insights/funnel?steps=USER_REGISTERED,PROJECT_CREATED&from=2026-11-02&to=2026-11-03&cohort=nope")]
    public async Task Insights_UnknownCohort_Is400(string path)
    {
        using var response = await _client.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("'cohort': no cohort 'nope'", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }
}
