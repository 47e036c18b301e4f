using System.Text.Json;
using Dashboard.Tests.TestSupport;

namespace Dashboard.Tests.Setup;

public sealed class OpenApiTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Theory]
    [InlineData("/ingest")]
    [InlineData("/v1/batch")]
    [InlineData("/v1/track")]
    public async Task Document_IngestPaths_DescribeEveryStatusCode(string path)
    {
        using var client = _factory.CreateReaderClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var post = doc.RootElement.GetProperty("paths").GetProperty(path).GetProperty("post");
        var codes = post.GetProperty("responses").EnumerateObject().Select(r => r.Name).Order().ToArray();
        Assert.Equal(["200", "400", "401", "413", "429", "503"], codes);
        Assert.True(post.TryGetProperty("requestBody", out _));
    }

    [Theory]
    [InlineData("/api/insights/activity")]
    [InlineData("/api/insights/activation")]
    [InlineData("/api/insights/funnel")]
    [InlineData("/api/insights/features")]
    [InlineData("/api/insights/retention")]
    public async Task Document_InsightsPaths_DescribeSuccessAndBadParameters(string path)
    {
        using var client = _factory.CreateReaderClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var get = doc.RootElement.GetProperty("paths").GetProperty(path).GetProperty("get");
        var codes = get.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToHashSet();
        Assert.Contains("200", codes);
        Assert.Contains("400", codes);
    }

    [Fact]
    public async Task Document_IngestResponse_HasTheContractFields()
    {
        using var client = _factory.CreateReaderClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var props = doc.RootElement.GetProperty("components").GetProperty("schemas").GetProperty("IngestResponse")
            .GetProperty("properties").EnumerateObject().Select(p => p.Name).Order().ToArray();
        Assert.Equal(["accepted", "duplicates", "rejected"], props);
    }
}
