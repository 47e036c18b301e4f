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
        Assert.Equal(["200", "400", "401", "403", "413", "429", "503"], codes);
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

    [Theory]
    [InlineData("/api/experiments", "post", new[] { "201", "400", "409", "413", "415" })]
    [InlineData("/api/experiments/{key}", "put", new[] { "200", "400", "404", "409", "413", "415" })]
    [InlineData("/api/experiments/{key}/start", "post", new[] { "200", "400", "404", "409" })]
    [InlineData("/api/experiments/{key}/stop", "post", new[] { "200", "400", "404", "409" })]
    [InlineData("/api/experiments/{key}/results", "get", new[] { "200", "400", "404", "429", "503" })]
    [InlineData("/api/experiments/{key}", "get", new[] { "200", "404" })]
    [InlineData("/api/experiments", "get", new[] { "200", "400", "429", "503" })]
    public async Task Document_ExperimentPaths_DescribeEveryStatusCode(string path, string method, string[] expected)
    {
        using var client = _factory.CreateReaderClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var operation = doc.RootElement.GetProperty("paths").GetProperty(path).GetProperty(method);
        var codes = operation.GetProperty("responses").EnumerateObject().Select(r => r.Name).Order().ToArray();
        Assert.Equal(expected, codes);
        if (expected.Contains("415"))
            Assert.Equal("object", operation.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Document_ExperimentResult_HasTheContractFields()
    {
        using var client = _factory.CreateReaderClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var schemas = doc.RootElement.GetProperty("components").GetProperty("schemas");
        string[] Props(string schema) => schemas.GetProperty(schema).GetProperty("properties").EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Subset(Props("ExperimentResult").ToHashSet(), new HashSet<string> { "variants", "srm", "sampleSizePerVariant", "verdict" });
        Assert.Subset(Props("VariantResult").ToHashSet(), new HashSet<string>
            { "key", "exposed", "converted", "rate", "absoluteLift", "ci95", "relativeLift", "pValue", "chanceToBeatControl" });
        Assert.Subset(Props("SrmResult").ToHashSet(), new HashSet<string> { "pValue", "mismatch" });
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

    [Theory]
    [InlineData("/ofrep/v1/evaluate/flags/{key}", "post", new[] { "200", "400", "401", "403", "404", "413", "429" })]
    [InlineData("/ofrep/v1/evaluate/flags", "post", new[] { "200", "304", "400", "401", "403", "413", "429" })]
    [InlineData("/api/flags", "get", new[] { "200", "401", "403" })]
    [InlineData("/api/flags/{key}", "get", new[] { "200", "401", "403", "404" })]
    [InlineData("/api/flags/{key}/audit", "get", new[] { "200", "401", "403", "404" })]
    [InlineData("/api/flags/{key}", "put", new[] { "200", "201", "400", "401", "403", "413" })]
    public async Task Document_FlagPaths_DescribeEveryStatusCode(string path, string method, string[] expected)
    {
        using var client = _factory.CreateReaderClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var operation = doc.RootElement.GetProperty("paths").GetProperty(path).GetProperty(method);
        var codes = operation.GetProperty("responses").EnumerateObject().Select(r => r.Name).Order().ToArray();
        Assert.Equal(expected.Order().ToArray(), codes);
    }

    [Theory]
    [InlineData("/api/schema/telemetry.ts", "application/typescript")]
    [InlineData("/api/schema/telemetry.cs", "text/x-csharp")]
    public async Task Document_SchemaPaths_DescribeTheirContentType(string path, string contentType)
    {
        using var client = _factory.CreateReaderClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var get = doc.RootElement.GetProperty("paths").GetProperty(path).GetProperty("get");
        Assert.True(get.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty(contentType, out _));
    }
}
