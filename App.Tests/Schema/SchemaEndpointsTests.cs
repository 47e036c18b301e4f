using System.Net;
using Dashboard.Data;
using Dashboard.Schema;
using Dashboard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Schema;

public sealed class SchemaEndpointsTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task GetTelemetryTs_SeededTaxonomy_ServesTheTypeScriptUnion()
    {
        using var client = CreateClient();

        var response = await client.GetAsync("/api/schema/telemetry.ts");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/typescript", response.Content.Headers.ContentType?.MediaType);
        var body = (await response.Content.ReadAsStringAsync()).ReplaceLineEndings("\n");
        Assert.Contains("export type TelemetryEvent =\n", body);
        Assert.Contains("  | UserRegisteredEvent", body);
        Assert.Contains("    planType: 'free' | 'premium';\n", body);
        Assert.Contains("  event: 'PROJECT_CREATED';\n", body);
        Assert.Contains("  event: 'FEATURE_ENGAGED';\n", body);
    }

    [Fact]
    public async Task GetTelemetryTs_AfterTaxonomyEdit_ServesTheNewEvent()
    {
        var name = $"EDITED_{Guid.NewGuid():N}";
        var errors = await _factory.Services.GetRequiredService<TaxonomyEditor>().SaveAsync(new EventDefinition
        {
            Name = name,
            Properties = [new PropertyDefinition { Name = "size", Type = PropertyType.Number, Required = false }],
        });
        Assert.Empty(errors);
        using var client = CreateClient();

        var body = (await client.GetStringAsync("/api/schema/telemetry.ts")).ReplaceLineEndings("\n");

        Assert.Contains($"  event: '{name}';\n  properties: {{\n    size?: number;\n  }};\n", body);
    }

    private HttpClient CreateClient()
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", DashboardFactory.ReadKey);
        return client;
    }
}
