using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dashboard.Cohorts;
using Dashboard.Tests.Analytics;
using Dashboard.Tests.TestSupport;

namespace Dashboard.Tests.Cohorts;

public sealed class CohortEndpointsTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = AnalyticsData.T("2026-11-30T12:00:00Z");
    private readonly DashboardFactory _factory = new(clock: new FixedClock(Now));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private HttpClient Client(string key = DashboardFactory.AdminKey)
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private const string Paid = """{ "key": "paid", "name": "Paid plans", "definition": { "traits": [ { "trait": "plan", "values": ["team", "pro"] } ] } }""";

    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpClient client, HttpMethod method, string path, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Create_ValidBody_ComputesTheMembershipAtOnce()
    {
        await new AnalyticsData(_factory.Services).User("t", new { plan = "team" }).User("p", new { plan = "pro" }).User("f", new { plan = "free" }).SaveAsync();
        using var client = Client();

        var (status, body) = await SendAsync(client, HttpMethod.Post, "/api/cohorts", Json(Paid));

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("paid", body.GetProperty("key").GetString());
        Assert.Equal("Paid plans", body.GetProperty("name").GetString());
        Assert.Equal(2, body.GetProperty("size").GetInt64());
        Assert.Equal(Now, body.GetProperty("computedAt").GetDateTimeOffset());
        Assert.Equal(["team", "pro"], body.GetProperty("definition").GetProperty("traits")[0].GetProperty("values").EnumerateArray().Select(v => v.GetString()));
        using var reader = Client(DashboardFactory.ReadKey);
        var list = await reader.GetJsonAsync("/api/cohorts");
        Assert.Equal(["paid"], list.GetProperty("cohorts").EnumerateArray().Select(c => c.GetProperty("key").GetString()));
        var one = await reader.GetJsonAsync("/api/cohorts/paid");
        Assert.Equal(2, one.GetProperty("size").GetInt64());
    }

    [Fact]
    public async Task UpdateAndDelete_KnownCohort_RecomputeAndRemove()
    {
        await new AnalyticsData(_factory.Services).User("t", new { plan = "team" }).User("f", new { plan = "free" }).SaveAsync();
        using var client = Client();
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(client, HttpMethod.Post, "/api/cohorts", Json(Paid))).Status);

        var (status, body) = await SendAsync(client, HttpMethod.Put, "/api/cohorts/paid",
            Json("""{ "name": "Everyone on a plan", "definition": { "traits": [ { "trait": "plan", "values": ["team", "free"] } ] } }"""));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Everyone on a plan", body.GetProperty("name").GetString());
        Assert.Equal(2, body.GetProperty("size").GetInt64());

        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(client, HttpMethod.Delete, "/api/cohorts/paid")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(client, HttpMethod.Get, "/api/cohorts/paid")).Status);
        await using var db = _factory.CreateDbContext();
        Assert.DoesNotContain(db.CohortMembers, m => m.CohortKey == "paid");
    }

    [Theory]
    [InlineData("{ \"key\": ", "not valid JSON")]
    [InlineData("[1, 2]", "must be a JSON object")]
    [InlineData("{ \"name\": \"n\", \"definition\": { \"firstSeen\": { \"from\": \"2026-11-01\", \"to\": \"2026-11-02\" } } }", "key is required")]
    [InlineData("{ \"key\": \"k\", \"definition\": { \"firstSeen\": { \"from\": \"2026-11-01\", \"to\": \"2026-11-02\" } } }", "name is required")]
    [InlineData("{ \"key\": \"k\", \"name\": \"n\" }", "definition is required")]
    [InlineData("{ \"key\": 5, \"name\": \"n\" }", "key must be a string")]
    [InlineData("{ \"key\": \"bad key!\", \"name\": \"n\", \"definition\": { \"firstSeen\": { \"from\": \"2026-11-01\", \"to\": \"2026-11-02\" } } }", "key: 1 to 100")]
    [InlineData("{ \"key\": \"k\", \"name\": \"n\", \"definition\": {} }", "at least one condition")]
    [InlineData("{ \"key\": \"k\", \"name\": \"n\", \"definition\": [] }", "definition must be an object")]
    [InlineData("{ \"key\": \"k\", \"name\": \"n\", \"definition\": { \"traits\": [ { \"trait\": \"plan\" } ] } }", "definition.traits[0].values must hold at least one value")]
    [InlineData("{ \"key\": \"k\", \"name\": \"n\", \"definition\": { \"traits\": [ { \"trait\": \"plan\", \"values\": [ {} ] } ] } }", "definition.traits[0].values[0] must be a string, number or boolean")]
    [InlineData("{ \"key\": \"k\", \"name\": \"n\", \"definition\": { \"events\": [ { \"event\": \"E\", \"days\": 7 } ] } }", "definition.events[0].atLeast is required")]
    [InlineData("{ \"key\": \"k\", \"name\": \"n\", \"definition\": { \"events\": [ { \"event\": \"E\", \"atLeast\": \"2\", \"days\": 7 } ] } }", "definition.events[0].atLeast must be a number")]
    [InlineData("{ \"key\": \"k\", \"name\": \"n\", \"definition\": { \"events\": [ { \"event\": \"E\", \"atLeast\": 0, \"days\": 7 } ] } }", "atLeast must be a whole number from 1")]
    [InlineData("{ \"key\": \"k\", \"name\": \"n\", \"definition\": { \"events\": [ { \"event\": \"E\", \"atLeast\": 1, \"days\": 7, \"where\": [1] } ] } }", "definition.events[0].where must be an object")]
    [InlineData("{ \"key\": \"k\", \"name\": \"n\", \"definition\": { \"firstSeen\": { \"from\": \"2026-11-03\", \"to\": \"2026-11-02\" } } }", "to must not be before from")]
    [InlineData("{ \"key\": \"k\", \"name\": \"n\", \"definition\": { \"firstSeen\": { \"from\": \"yesterday\", \"to\": \"2026-11-02\" } } }", "firstSeen.from is required as a date")]
    public async Task Create_BadBody_Is400WithTheReason(string body, string message)
    {
        using var client = Client();

        var (status, answer) = await SendAsync(client, HttpMethod.Post, "/api/cohorts", Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(message, answer.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Create_ExistingKey_Is409()
    {
        using var client = Client();
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(client, HttpMethod.Post, "/api/cohorts", Json(Paid))).Status);

        var (status, body) = await SendAsync(client, HttpMethod.Post, "/api/cohorts", Json(Paid));

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("already exists", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Create_OversizeOrNotJson_Is413Or415()
    {
        using var client = Client();
        var big = $$"""{ "key": "k", "name": "{{new string('x', CohortEndpoints.MaxBodyBytes)}}" }""";

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await SendAsync(client, HttpMethod.Post, "/api/cohorts", Json(big))).Status);
        var (status, body) = await SendAsync(client, HttpMethod.Post, "/api/cohorts", new StringContent(Paid, Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Contains("application/json", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Writes_ReadKey_Is403()
    {
        using var client = Client(DashboardFactory.ReadKey);

        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(client, HttpMethod.Post, "/api/cohorts", Json(Paid))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(client, HttpMethod.Delete, "/api/cohorts/paid")).Status);
    }

    [Fact]
    public async Task UnknownKey_Is404()
    {
        using var client = Client();

        var (status, body) = await SendAsync(client, HttpMethod.Put, "/api/cohorts/nope", Json("""{ "name": "x" }"""));

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("no cohort 'nope'", body.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(client, HttpMethod.Delete, "/api/cohorts/nope")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(client, HttpMethod.Get, "/api/cohorts/nope")).Status);
    }

    [Fact]
    public async Task Update_KeyChangeOrWrongType_Is400()
    {
        using var client = Client();
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(client, HttpMethod.Post, "/api/cohorts", Json(Paid))).Status);

        var (status, body) = await SendAsync(client, HttpMethod.Put, "/api/cohorts/paid", Json("""{ "key": "other" }"""));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("key cannot change", body.GetProperty("error").GetString());
        (status, body) = await SendAsync(client, HttpMethod.Put, "/api/cohorts/paid", Json("""{ "name": 3 }"""));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("name must be a string", body.GetProperty("error").GetString());
    }
}
