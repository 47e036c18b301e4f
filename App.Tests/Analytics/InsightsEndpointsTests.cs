using System.Net;
using System.Text.Json;
using Dashboard.Tests.TestSupport;

namespace Dashboard.Tests.Analytics;

public sealed class InsightsEndpointsTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Theory]
    [InlineData("/api/insights/activity?to=2026-03-01", "'from' is required")]
    [InlineData("/api/insights/activity?from=2026-03-01", "'to' is required")]
    [InlineData("/api/insights/activity?from=2026-13-01&to=2026-03-01", "'from' must be a date")]
    [InlineData("/api/insights/activity?from=01/03/2026&to=2026-03-01", "'from' must be a date")]
    [InlineData("/api/insights/activity?from=2026-03-02&to=2026-03-01", "is after 'to'")]
    [InlineData("/api/insights/activity?from=2026-01-01&to=2027-02-05", "401 days")]
    [InlineData("/api/insights/activity?from=2026-03-01&to=2026-03-02&interval=month", "'interval' must be day or week")]
    [InlineData("/api/insights/activity?from=2026-03-01&to=2026-03-02&format=xml", "'format' must be json or csv")]
    [InlineData("/api/insights/activation?from=2026-03-01&to=2026-03-02&within=7", "'within' must be")]
    [InlineData("/api/insights/activation?from=2026-03-01&to=2026-03-02&within=0d", "'within' must be")]
    [InlineData("/api/insights/funnel?steps=VIEW&from=2026-03-01&to=2026-03-02", "at least two events")]
    [InlineData("/api/insights/funnel?steps=VIEW,,%20&from=2026-03-01&to=2026-03-02", "at least two events")]
    [InlineData("/api/insights/funnel?steps=VIEW,CART&window=14x&from=2026-03-01&to=2026-03-02", "'window' must be")]
    [InlineData("/api/insights/funnel?steps=VIEW%5Bplan%5D,CART&from=2026-03-01&to=2026-03-02", "needs the form property=value")]
    [InlineData("/api/insights/funnel?steps=VIEW%5Bplan=pro,CART&from=2026-03-01&to=2026-03-02", "write a condition as [property=value]")]
    [InlineData("/api/insights/funnel?steps=VIEW,CART&exclude=&from=2026-03-01&to=2026-03-02", "'exclude' names no event")]
    [InlineData("/api/insights/funnel?steps=VIEW,CART&exclude=CART&from=2026-03-01&to=2026-03-02", "'CART' is also a step")]
    [InlineData("/api/insights/funnel?steps=VIEW,CART&exclude=X%5Bk%5D&from=2026-03-01&to=2026-03-02", "'exclude': step 'X[k]'")]
    [InlineData("/api/insights/funnel?steps=VIEW,CART&order=loose&from=2026-03-01&to=2026-03-02", "'order' must be ordered or strict")]
    [InlineData("/api/insights/funnel?steps=VIEW,CART&include=p99&from=2026-03-01&to=2026-03-02", "'include' takes timeToConvert and trend")]
    [InlineData("/api/insights/funnel?steps=VIEW,CART&window=401d&from=2026-03-01&to=2026-03-02", "at most 400 days")]
    [InlineData("/api/insights/features?from=2026-03-01", "'to' is required")]
    [InlineData("/api/insights/retention?from=2026-03-01&to=2026-02-01", "is after 'to'")]
    [InlineData("/api/insights/trends?from=2026-03-01&to=2026-03-02", "'event' is required")]
    [InlineData("/api/insights/trends?event=E&from=2026-03-01&to=2026-03-02&measure=median", "'measure' must be")]
    [InlineData("/api/insights/trends?event=E&from=2026-03-01&to=2026-03-02&measure=sum:", "'measure' must be")]
    [InlineData("/api/insights/trends?event=E&from=2026-03-01&to=2026-03-02&interval=year", "'interval' must be day, week or month")]
    [InlineData("/api/insights/trends?event=E&from=2026-03-01&to=2026-03-02&where=plan", "property=value")]
    [InlineData("/api/insights/trends?event=E&from=2026-03-01&to=2026-03-02&compare=last", "'compare' must be previous")]
    [InlineData("/api/insights/trends?event=E&from=2026-03-01&to=2026-03-02&breakdown=user.", "names no property")]
    [InlineData("/api/insights/funnel?steps=A,B&from=2026-03-01&to=2026-03-02&breakdown=group.", "names no property")]
    [InlineData("/api/insights/retention?from=2026-03-01&to=2026-03-02&breakdown=group.", "names no trait")]
    public async Task Get_BadParameter_Answers400WithTheReason(string path, string reason)
    {
        using var client = _factory.CreateReaderClient();

        var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains(reason, doc.RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task GetActivity_RangeOfExactly400Days_IsAccepted()
    {
        using var client = _factory.CreateReaderClient();

        // 2026-01-01 + 399 days = 2027-02-04: 400 inclusive days, 400 empty day buckets.
        var json = await client.GetJsonAsync("/api/insights/activity?from=2026-01-01&to=2027-02-04");

        Assert.Equal(400, json.GetProperty("points").GetArrayLength());
    }

    [Fact]
    public async Task Document_InsightsPaths_TaggedWithSummaries()
    {
        using var client = _factory.CreateReaderClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var paths = doc.RootElement.GetProperty("paths");

        foreach (var name in new[] { "activity", "activation", "funnel", "features", "retention", "trends" })
        {
            var get = paths.GetProperty($"/api/insights/{name}").GetProperty("get");
            Assert.Equal("Insights", get.GetProperty("tags")[0].GetString());
            Assert.False(string.IsNullOrWhiteSpace(get.GetProperty("summary").GetString()));
            var codes = get.GetProperty("responses").EnumerateObject().Select(r => r.Name).Order().ToArray();
            Assert.Equal(["200", "400", "429", "503"], codes);
            var types = get.GetProperty("responses").GetProperty("200").GetProperty("content").EnumerateObject().Select(c => c.Name);
            Assert.Equal(["application/json"], types);
            Assert.Contains("format=csv", get.GetProperty("description").GetString());
        }
    }

    [Fact]
    public async Task GetInsights_GroupCallsThroughIngest_BreakDownByTheAccountOfTheLatestCall()
    {
        // u1 joins acme { plan enterprise }, then globex { industry energy }: its latest account has no plan → (none).
        // u2 joins acme later with { seats 5 }: the traits merge, acme keeps plan enterprise → enterprise.
        // u3 joins initech { plan free }, then initech { plan pro } (later wins) → pro.   u4 never joins → (none).
        // Each opens the app once, now: users per plan (none) 2, enterprise 1, pro 1; one cohort, this week.
        var run = Guid.NewGuid().ToString("N")[..8];
        string U(int n) => $"u{n}-{run}";
        object Group(int user, string account, object traits) => new { type = "group", userId = U(user), groupId = $"{account}-{run}", traits };
        object[] batch =
        [
            Group(1, "acme", new { plan = "enterprise" }), Group(1, "globex", new { industry = "energy" }),
            Group(2, "acme", new { seats = 5 }),
            Group(3, "initech", new { plan = "free" }), Group(3, "initech", new { plan = "pro" }),
            .. Enumerable.Range(1, 4).Select(n => (object)new { @event = "APP_OPENED", userId = U(n) }),
        ];
        var body = JsonSerializer.Serialize(new { batch });
        using (var ingest = _factory.CreateIngestClient())
        {
            using var response = await ingest.PostAsync("/ingest", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        using var client = _factory.CreateReaderClient();
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd");
        var range = $"from={DateTime.UtcNow.AddDays(-1):yyyy-MM-dd}&to={today}";

        var trends = await client.GetJsonAsync($"/api/insights/trends?event=APP_OPENED&measure=users&{range}&breakdown=group.plan");
        var retention = await client.GetJsonAsync($"/api/insights/retention?{range}&breakdown=group.plan");

        Assert.Equal([("(none)", 2.0), ("enterprise", 1.0), ("pro", 1.0)], trends.GetProperty("series").EnumerateArray()
            .Select(s => (s.GetProperty("breakdown").GetString()!, s.GetProperty("total").GetDouble())));
        Assert.Equal([("(none)", 2), ("enterprise", 1), ("pro", 1)], retention.GetProperty("breakdown").EnumerateArray()
            .Select(g => (g.GetProperty("value").GetString()!, g.GetProperty("cohorts").EnumerateArray().Sum(c => c.GetProperty("users").GetInt32()))));
    }
}
