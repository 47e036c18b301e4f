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
    [InlineData("/v1/b")]
    [InlineData("/v1/import")]
    [InlineData("/v1/t")]
    [InlineData("/v1/identify")]
    [InlineData("/v1/i")]
    [InlineData("/v1/page")]
    [InlineData("/v1/p")]
    [InlineData("/v1/screen")]
    [InlineData("/v1/s")]
    [InlineData("/v1/group")]
    [InlineData("/v1/g")]
    [InlineData("/v1/alias")]
    [InlineData("/v1/a")]
    public async Task Document_IngestPaths_DescribeEveryStatusCode(string path)
    {
        using var client = _factory.CreateReaderClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var post = doc.RootElement.GetProperty("paths").GetProperty(path).GetProperty("post");
        var codes = post.GetProperty("responses").EnumerateObject().Select(r => r.Name).Order().ToArray();
        Assert.Equal(["200", "400", "401", "403", "413", "415", "429", "500", "503"], codes);
        var content = post.GetProperty("requestBody").GetProperty("content");
        Assert.True(content.TryGetProperty("application/json", out _));
        Assert.True(content.TryGetProperty("text/plain", out _));
    }

    [Theory]
    [InlineData("/api/people", new[] { "200", "400", "429", "503" }, new[] { "search", "limit", "cursor", "format" })]
    [InlineData("/api/people/{id}", new[] { "200", "404", "429", "503" }, new[] { "id" })]
    [InlineData("/api/people/{id}/events", new[] { "200", "400", "404", "429", "503" }, new[] { "id", "before", "limit" })]
    public async Task Document_PeoplePaths_AreListedWithTheirParametersAndAnswers(string path, string[] codes, string[] parameters)
    {
        using var client = _factory.CreateReaderClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var get = doc.RootElement.GetProperty("paths").GetProperty(path).GetProperty("get");
        Assert.Equal(codes, get.GetProperty("responses").EnumerateObject().Select(r => r.Name).Order().ToArray());
        Assert.Equal(parameters.Order(), get.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()!).Order());
    }

    [Fact]
    public async Task Document_SourceSettings_IsListedWithItsAnswers()
    {
        using var client = _factory.CreateReaderClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var get = doc.RootElement.GetProperty("paths").GetProperty("/v1/projects/{writeKey}/settings").GetProperty("get");
        var codes = get.GetProperty("responses").EnumerateObject().Select(r => r.Name).Order().ToArray();
        Assert.Equal(["200", "403", "404", "429"], codes);
        Assert.Equal("writeKey", get.GetProperty("parameters")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Document_OperationIds_AreUnique()
    {
        using var client = _factory.CreateReaderClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var ids = doc.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject())
            .Where(o => o.Value.ValueKind == JsonValueKind.Object && o.Value.TryGetProperty("operationId", out _))
            .Select(o => o.Value.GetProperty("operationId").GetString())
            .ToList();
        Assert.Contains("Ingest_v1_p", ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
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
    [InlineData("/api/annotations", "get", new[] { "200", "400", "401", "403", "429", "503" })]
    [InlineData("/api/annotations", "post", new[] { "201", "400", "401", "403", "413", "415" })]
    [InlineData("/api/annotations/{id}", "delete", new[] { "204", "400", "401", "403", "404", "409" })]
    [InlineData("/api/insights/funnels/people", "get", new[] { "200", "400", "429", "503" })]
    [InlineData("/api/cohorts", "get", new[] { "200" })]
    [InlineData("/api/cohorts", "post", new[] { "201", "400", "409", "413", "415" })]
    [InlineData("/api/cohorts/{key}", "get", new[] { "200", "404" })]
    [InlineData("/api/cohorts/{key}", "put", new[] { "200", "400", "404", "413", "415" })]
    [InlineData("/api/cohorts/{key}", "delete", new[] { "204", "404" })]
    public async Task Document_ExperimentAndCohortPaths_DescribeEveryStatusCode(string path, string method, string[] expected)
    {
        using var client = _factory.CreateReaderClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var operation = doc.RootElement.GetProperty("paths").GetProperty(path).GetProperty(method);
        var codes = operation.GetProperty("responses").EnumerateObject().Select(r => r.Name).Order().ToArray();
        Assert.Equal(expected, codes);
        if (expected.Contains("415"))
            Assert.Equal("object", operation.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("/api/insights/activation")]
    [InlineData("/api/insights/funnel")]
    [InlineData("/api/insights/trends")]
    [InlineData("/api/insights/retention")]
    public async Task Document_BreakdownInsights_TakeBreakdownAndNameGroupTraits(string path)
    {
        using var client = _factory.CreateReaderClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var get = doc.RootElement.GetProperty("paths").GetProperty(path).GetProperty("get");
        Assert.Contains("breakdown", get.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        Assert.Contains("group.<trait>", get.GetProperty("description").GetString());
    }

    /// <summary>The property names of each component schema of the served document, in order.</summary>
    private async Task<Func<string, string[]>> SchemaPropertiesAsync()
    {
        using var client = _factory.CreateReaderClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var schemas = doc.RootElement.GetProperty("components").GetProperty("schemas").EnumerateObject()
            .Where(s => s.Value.TryGetProperty("properties", out _))
            .ToDictionary(s => s.Name, s => s.Value.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToArray());
        return name => schemas[name];
    }

    [Fact]
    public async Task Document_RetentionResult_HasCohortsAndBreakdownGroups()
    {
        var Props = await SchemaPropertiesAsync();
        Assert.Equal(["cohorts", "breakdown"], Props("RetentionResult"));
        Assert.Equal(["value", "cohorts"], Props("RetentionGroup"));
    }

    [Fact]
    public async Task Document_ExperimentResult_HasTheContractFields()
    {
        var Props = await SchemaPropertiesAsync();
        Assert.Subset(Props("ExperimentResult").ToHashSet(), new HashSet<string> { "variants", "srm", "sampleSizePerVariant", "verdict" });
        Assert.Subset(Props("VariantResult").ToHashSet(), new HashSet<string>
            { "key", "exposed", "converted", "rate", "absoluteLift", "ci95", "relativeLift", "pValue", "chanceToBeatControl" });
        Assert.Subset(Props("SrmResult").ToHashSet(), new HashSet<string> { "pValue", "mismatch" });
    }

    [Fact]
    public async Task Document_ExperimentResult_HasTheSequentialMetricsAndCupedFields()
    {
        var Props = await SchemaPropertiesAsync();
        Assert.Subset(Props("ExperimentResult").ToHashSet(), new HashSet<string> { "analysis", "correction", "cupedNote", "metrics", "guardrailWarnings" });
        Assert.Subset(Props("VariantResult").ToHashSet(), new HashSet<string> { "sequential", "cuped", "adjustedPValue" });
        Assert.Subset(Props("SequentialResult").ToHashSet(), new HashSet<string> { "ci95", "pValue", "significant" });
        Assert.Subset(Props("CupedResult").ToHashSet(), new HashSet<string> { "absoluteLift", "ci95", "varianceReduction", "theta" });
        Assert.Subset(Props("MetricResult").ToHashSet(), new HashSet<string> { "event", "where", "kind", "direction", "variants", "wrongWay", "warnings" });
        Assert.Subset(Props("ExperimentView").ToHashSet(), new HashSet<string> { "analysis", "metrics" });
        Assert.Subset(Props("ExperimentMetric").ToHashSet(), new HashSet<string> { "event", "where", "kind", "direction" });
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
