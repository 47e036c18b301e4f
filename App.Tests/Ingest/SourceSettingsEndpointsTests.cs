using System.Net;
using System.Text.Json;
using Dashboard.Tests.Access;
using Dashboard.Tests.TestSupport;

namespace Dashboard.Tests.Ingest;

/// <summary><c>GET /v1/projects/{writeKey}/settings</c>, what analytics.js loads from its cdnURL.</summary>
public sealed class SourceSettingsEndpointsTests(CorsFixture fixture) : IClassFixture<CorsFixture>
{
    private readonly DashboardFactory _factory = fixture.Factory;

    private static string SettingsPath(string key) => $"/v1/projects/{Uri.EscapeDataString(key)}/settings";

    private async Task<HttpResponseMessage> GetAsync(string key, string? origin = null)
    {
        using var client = _factory.CreateBrowserLikeClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, SettingsPath(key));
        if (origin is not null) request.Headers.Add("Origin", origin);
        return await client.SendAsync(request);
    }

    private static string? Header(HttpResponseMessage r, string name) =>
        r.Headers.TryGetValues(name, out var v) ? string.Join(",", v) : null;

    [Fact]
    public async Task Get_WriteKey_PointsTheSegmentIntegrationAtThisServer()
    {
        using var response = await GetAsync(DashboardFactory.WriteKey);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var root = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var integrations = root.GetProperty("integrations");
        Assert.Equal(["Segment.io"], integrations.EnumerateObject().Select(p => p.Name));
        var segment = integrations.GetProperty("Segment.io");
        Assert.Equal(DashboardFactory.WriteKey, segment.GetProperty("apiKey").GetString());
        Assert.Equal("localhost/v1", segment.GetProperty("apiHost").GetString());
        Assert.Equal("https", segment.GetProperty("protocol").GetString());
        Assert.Equal(0, root.GetProperty("metrics").GetProperty("sampleRate").GetInt32());
        Assert.True(root.GetProperty("plan").GetProperty("track").GetProperty("__default").GetProperty("enabled").GetBoolean());
        Assert.True(root.GetProperty("analyticsNextEnabled").GetBoolean());
        Assert.Equal(JsonValueKind.Object, root.GetProperty("edgeFunction").ValueKind);
    }

    [Theory]
    [InlineData("wk_no_such_key")]
    [InlineData(DashboardFactory.ClientKey)]
    [InlineData(DashboardFactory.AdminKey)]
    public async Task Get_KeyThatIsNoWriteKey_Returns404(string key)
    {
        using var response = await GetAsync(key);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("no source", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Get_FromAnOriginOnTheKey_AllowsThatOrigin()
    {
        using var response = await GetAsync(CorsFixture.BrowserWriteKey, CorsFixture.AppOrigin);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(CorsFixture.AppOrigin, Header(response, "Access-Control-Allow-Origin"));
        Assert.Contains("Origin", Header(response, "Vary"));
        Assert.Null(Header(response, "Access-Control-Allow-Credentials"));
    }

    [Theory]
    [InlineData(CorsFixture.BrowserWriteKey, "https://evil.example.com")]
    [InlineData(DashboardFactory.WriteKey, CorsFixture.AppOrigin)]
    public async Task Get_FromAnOriginNotOnTheKey_Returns403WithoutCorsHeaders(string key, string origin)
    {
        using var response = await GetAsync(key, origin);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(Header(response, "Access-Control-Allow-Origin"));
    }
}
