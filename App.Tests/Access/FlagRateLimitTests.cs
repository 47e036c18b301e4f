using System.Net;
using System.Text;
using Dashboard.Tests.TestSupport;

namespace Dashboard.Tests.Access;

public sealed class FlagRateLimitTests : IAsyncLifetime
{
    // One request per second, a burst of two, for flag evaluation only; ingest keeps its own limit.
    private readonly DashboardFactory _factory = new(new Dictionary<string, string?>
    {
        ["RateLimits:FlagsPerSecond"] = "1",
        ["RateLimits:FlagsBurst"] = "2",
        ["Auth:ApiKeys:4:Key"] = "ck_second_client_key",
        ["Auth:ApiKeys:4:Role"] = "client",
    });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static StringContent Body() => new("""{ "context": { "targetingKey": "rate" } }""", Encoding.UTF8, "application/json");

    [Fact]
    public async Task Evaluate_OverTheKeysBurst_Returns429WithRetryAfterAndOtherKeysGoOn()
    {
        using var client = _factory.CreateIngestClient(DashboardFactory.ClientKey);
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 3; i++)
        {
            var response = await client.PostAsync("/ofrep/v1/evaluate/flags/new_onboarding_flow", Body());
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) limited = response;
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.True(int.Parse(Assert.Single(limited!.Headers.GetValues("Retry-After"))) >= 1);

        // The key sent as X-API-Key counts against the same key's bucket.
        using var header = _factory.CreateIngestClient(null);
        header.DefaultRequestHeaders.Add("X-API-Key", DashboardFactory.ClientKey);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await header.PostAsync("/ofrep/v1/evaluate/flags", Body())).StatusCode);

        // Another client key has its own bucket, and ingest is not limited by flag evaluations.
        using var other = _factory.CreateIngestClient("ck_second_client_key");
        Assert.Equal(HttpStatusCode.OK, (await other.PostAsync("/ofrep/v1/evaluate/flags/new_onboarding_flow", Body())).StatusCode);
        using var ingest = _factory.CreateIngestClient();
        var ingestResponse = await ingest.PostAsync("/ingest", new StringContent("""{ "event": "APP_OPENED", "userId": "rate" }""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, ingestResponse.StatusCode);
    }
}
