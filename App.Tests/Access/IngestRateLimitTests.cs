using System.Net;
using System.Text.Json;
using Dashboard.Tests.TestSupport;
using static Dashboard.Tests.Ingest.IngestTestKit;

namespace Dashboard.Tests.Access;

public sealed class IngestRateLimitTests : IAsyncLifetime
{
    // One request per second, a burst of two: the third request in a row is over the limit.
    private readonly DashboardFactory _factory = new(new Dictionary<string, string?>
    {
        ["RateLimits:IngestPerSecond"] = "1",
        ["RateLimits:IngestBurst"] = "2",
        ["Auth:ApiKeys:4:Key"] = "wk_second_write_key",
        ["Auth:ApiKeys:4:Role"] = "write",
    });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static string Event() => JsonSerializer.Serialize(Feature(NewId("rate")));

    [Fact]
    public async Task Post_OverTheKeysBurst_Returns429WithRetryAfter()
    {
        using var client = _factory.CreateIngestClient();

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 3; i++)
        {
            var response = await client.PostRawAsync("/ingest", Event());
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) limited = response;
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        var retryAfter = Assert.Single(limited!.Headers.GetValues("Retry-After"));
        Assert.InRange(int.Parse(retryAfter), 1, 2);
        var body = JsonDocument.Parse(await limited.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("retry", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Post_KeyOverItsLimit_DoesNotLimitAnotherKey()
    {
        using var first = _factory.CreateIngestClient();
        using var second = _factory.CreateIngestClient("wk_second_write_key");
        for (var i = 0; i < 2; i++) Assert.Equal(HttpStatusCode.OK, (await first.PostRawAsync("/v1/track", Event())).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await first.PostRawAsync("/v1/track", Event())).StatusCode);

        var other = await second.PostRawAsync("/v1/track", Event());

        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Post_SegmentPaths_ShareTheKeysBucket()
    {
        using var client = _factory.CreateIngestClient();

        var statuses = new List<HttpStatusCode>();
        foreach (var path in new[] { "/v1/t", "/v1/p", "/v1/i" })
            statuses.Add((await client.PostRawAsync(path, Event())).StatusCode);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task GetSourceSettings_OverTheAddressBurst_Returns429()
    {
        using var client = _factory.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
            statuses.Add((await client.GetAsync($"/v1/projects/{DashboardFactory.WriteKey}/settings")).StatusCode);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task Post_AfterRetryAfter_IsAcceptedAgain()
    {
        using var client = _factory.CreateIngestClient();
        HttpResponseMessage response;
        var sent = 0;
        do response = await client.PostRawAsync("/v1/batch", Event());
        while (response.StatusCode == HttpStatusCode.OK && ++sent < 10);
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);

        await Task.Delay(TimeSpan.FromSeconds(int.Parse(response.Headers.GetValues("Retry-After").Single())) + TimeSpan.FromMilliseconds(200));

        Assert.Equal(HttpStatusCode.OK, (await client.PostRawAsync("/v1/batch", Event())).StatusCode);
    }
}
