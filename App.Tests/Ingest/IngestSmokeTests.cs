using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dashboard.Tests.TestSupport;

namespace Dashboard.Tests.Ingest;

public sealed class IngestSmokeTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task Post_ValidEvent_IsCommittedBeforeTheAnswer()
    {
        using var client = _factory.Started().CreateIngestClient();
        var response = await client.PostAsJsonAsync("/ingest", new
        {
            @event = "FEATURE_ENGAGED",
            userId = "smoke-1",
            properties = new { featureName = "search", clickTarget = "button" },
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, body.GetProperty("accepted").GetInt32());
        await using var db = _factory.CreateDbContext();
        Assert.Equal(1, db.Events.Count(e => e.Name == "FEATURE_ENGAGED"));
    }
}
