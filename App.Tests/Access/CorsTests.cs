using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Dashboard.Access;
using Dashboard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using static Dashboard.Tests.Ingest.IngestTestKit;

namespace Dashboard.Tests.Access;

public sealed class CorsFixture : IAsyncLifetime
{
    public const string BrowserWriteKey = "wk_browser_write_key";
    public const string BrowserClientKey = "ck_browser_client_key";
    public const string AppOrigin = "https://app.example.com";

    public DashboardFactory Factory { get; } = new(new Dictionary<string, string?>
    {
        ["Auth:ApiKeys:4:Key"] = BrowserWriteKey,
        ["Auth:ApiKeys:4:Role"] = "write",
        ["Auth:ApiKeys:4:Origins:0"] = AppOrigin,
        ["Auth:ApiKeys:5:Key"] = BrowserClientKey,
        ["Auth:ApiKeys:5:Role"] = "client",
        ["Auth:ApiKeys:5:Origins:0"] = "https://flags.example.com/",
    });

    public Task InitializeAsync()
    {
        Factory.Started();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}

/// <summary>CORS on the ingest and OFREP paths: preflights by any key's origins, requests by their own key's.</summary>
public sealed class CorsTests(CorsFixture fixture) : IClassFixture<CorsFixture>
{
    private readonly DashboardFactory _factory = fixture.Factory;

    private static HttpRequestMessage Preflight(string path, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type,authorization");
        return request;
    }

    private static HttpRequestMessage Post(string path, string key, string json, string? origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(json) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (origin is not null) request.Headers.Add("Origin", origin);
        return request;
    }

    private static string Event(string id) => JsonSerializer.Serialize(Feature(id));

    private static string? Header(HttpResponseMessage r, string name) =>
        r.Headers.TryGetValues(name, out var v) ? string.Join(",", v) : null;

    [Theory]
    [InlineData("/ingest")]
    [InlineData("/v1/batch")]
    [InlineData("/v1/track")]
    [InlineData("/v1/p")]
    [InlineData("/v1/identify")]
    [InlineData("/v1/projects/wk_browser_write_key/settings")]
    [InlineData("/ofrep/v1/evaluate/flags")]
    [InlineData("/ofrep/v1/evaluate/flags/new_onboarding_flow")]
    public async Task Preflight_OriginOnSomeKey_AllowsItWithoutCredentials(string path)
    {
        using var client = _factory.CreateBrowserLikeClient();
        using var response = await client.SendAsync(Preflight(path, CorsFixture.AppOrigin));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(CorsFixture.AppOrigin, Header(response, "Access-Control-Allow-Origin"));
        Assert.Contains("POST", Header(response, "Access-Control-Allow-Methods"));
        var headers = Header(response, "Access-Control-Allow-Headers")!;
        foreach (var h in new[] { "Authorization", "Content-Type", "X-API-Key", "Content-Encoding" }) Assert.Contains(h, headers);
        Assert.Contains("Origin", Header(response, "Vary"));
        Assert.Null(Header(response, "Access-Control-Allow-Credentials"));
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Theory]
    [InlineData("/v1/batch")]
    [InlineData("/v1/page")]
    public async Task Preflight_OriginOnNoKey_IsRefusedWithoutCorsHeaders(string path)
    {
        using var client = _factory.CreateBrowserLikeClient();
        using var response = await client.SendAsync(Preflight(path, "https://evil.example.com"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(Header(response, "Access-Control-Allow-Origin"));
        Assert.Contains("not on any key", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("/v1/track")]
    [InlineData("/v1/t")]
    public async Task Post_AllowedOrigin_IsAcceptedWithAllowOrigin(string path)
    {
        var id = NewId("cors-ok");
        using var client = _factory.CreateBrowserLikeClient();
        using var response = await client.SendAsync(Post(path, CorsFixture.BrowserWriteKey, Event(id), CorsFixture.AppOrigin));

        Assert.Equal(1, (await response.ReadReplyAsync()).Accepted);
        Assert.Equal(CorsFixture.AppOrigin, Header(response, "Access-Control-Allow-Origin"));
        Assert.Contains("Origin", Header(response, "Vary"));
        Assert.Null(Header(response, "Access-Control-Allow-Credentials"));
        Assert.Single(_factory.EventsByMessageId(id));
    }

    [Fact]
    public async Task Post_OriginNotOnTheKey_Is403AndStoresNothing()
    {
        var id = NewId("cors-wrong");
        using var client = _factory.CreateBrowserLikeClient();
        // The origin is on another key's list (the client key's), which is not enough.
        using var response = await client.SendAsync(Post("/ingest", CorsFixture.BrowserWriteKey, Event(id), "https://flags.example.com"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(Header(response, "Access-Control-Allow-Origin"));
        Assert.Contains("https://flags.example.com", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        Assert.Empty(_factory.EventsByMessageId(id));
    }

    [Fact]
    public async Task Post_KeyWithoutOrigins_FromABrowser_Is403ButWorksWithoutOrigin()
    {
        var browser = NewId("cors-server-key");
        var server = NewId("cors-server-key");
        using var client = _factory.CreateBrowserLikeClient();
        using var refused = await client.SendAsync(Post("/ingest", DashboardFactory.WriteKey, Event(browser), CorsFixture.AppOrigin));
        using var accepted = await client.SendAsync(Post("/ingest", DashboardFactory.WriteKey, Event(server), origin: null));

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("servers only", await refused.Content.ReadAsStringAsync());
        Assert.Equal(1, (await accepted.ReadReplyAsync()).Accepted);
        Assert.Null(Header(accepted, "Access-Control-Allow-Origin"));
        Assert.Empty(_factory.EventsByMessageId(browser));
        Assert.Single(_factory.EventsByMessageId(server));
    }

    [Fact]
    public async Task Post_KeyInTheBody_IsCheckedAgainstItsOrigins()
    {
        var id = NewId("cors-body");
        var json = JsonSerializer.Serialize(new { writeKey = CorsFixture.BrowserWriteKey, batch = new[] { Feature(id) } });
        using var client = _factory.CreateBrowserLikeClient();
        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/v1/batch") { Content = Json(json) };
        wrong.Headers.Add("Origin", "https://other.example.com");
        using var right = new HttpRequestMessage(HttpMethod.Post, "/v1/batch") { Content = Json(json) };
        right.Headers.Add("Origin", CorsFixture.AppOrigin);

        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(wrong)).StatusCode);
        Assert.Equal(1, (await (await client.SendAsync(right)).ReadReplyAsync()).Accepted);
    }

    [Fact]
    public async Task Ofrep_ClientKeyOrigins_DecideTheBrowsersAnswer()
    {
        const string body = """{ "context": { "targetingKey": "cors-user" } }""";
        using var client = _factory.CreateBrowserLikeClient();
        using var allowed = await client.SendAsync(Post("/ofrep/v1/evaluate/flags", CorsFixture.BrowserClientKey, body, "https://flags.example.com"));
        using var refused = await client.SendAsync(Post("/ofrep/v1/evaluate/flags/new_onboarding_flow", CorsFixture.BrowserClientKey, body, CorsFixture.AppOrigin));
        using var server = await client.SendAsync(Post("/ofrep/v1/evaluate/flags/new_onboarding_flow", CorsFixture.BrowserClientKey, body, origin: null));

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal("https://flags.example.com", Header(allowed, "Access-Control-Allow-Origin"));
        Assert.Contains("ETag", Header(allowed, "Access-Control-Expose-Headers"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("not one this key may be used from", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, server.StatusCode);
    }

    [Fact]
    public async Task CreatedKey_WithOrigins_IsServedToThoseOriginsAfterPreflight()
    {
        var keys = _factory.Services.GetRequiredService<ApiKeyStore>();
        var key = await keys.CreateAsync("web shop", ApiRoles.Write, "https://shop.example.com, http://localhost:3000");
        var row = (await keys.ListAsync()).Single(k => k.Name == "web shop");
        Assert.Equal(["https://shop.example.com", "http://localhost:3000"], row.Origins);

        var id = NewId("cors-created");
        using var client = _factory.CreateBrowserLikeClient();
        using var preflight = await client.SendAsync(Preflight("/v1/track", "http://localhost:3000"));
        using var response = await client.SendAsync(Post("/v1/track", key, Event(id), "http://localhost:3000"));

        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal(1, (await response.ReadReplyAsync()).Accepted);
        Assert.Equal("http://localhost:3000", Header(response, "Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData("write", "shop.example.com")]
    [InlineData("read", "https://shop.example.com")]
    public async Task CreateKey_BadOriginsOrARoleWithoutBrowsers_IsRefused(string role, string origins)
    {
        var keys = _factory.Services.GetRequiredService<ApiKeyStore>();
        await Assert.ThrowsAsync<ArgumentException>(() => keys.CreateAsync("bad origins", role, origins));
    }
}
