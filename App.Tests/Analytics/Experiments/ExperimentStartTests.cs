using System.Net;
using System.Text;
using System.Text.Json;
using Dashboard.Flags;
using Dashboard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Analytics.Experiments;

/// <summary>
/// A start or stop decides the very next evaluation on the node that made it, as a flag change
/// does. The periodic reload is set to an hour here, so only the reload after the commit can make
/// the evaluations below see the change.
/// </summary>
public sealed class ExperimentStartTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new(new Dictionary<string, string?> { ["Flags:ReloadIntervalMs"] = "3600000" }, kestrel: true);
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];
    private string Flag => $"start-flag-{_suffix}";
    private string Experiment => $"start-exp-{_suffix}";

    public async Task InitializeAsync()
    {
        await _factory.Services.GetRequiredService<FlagAdmin>().SaveAsync(
            new FlagState(Flag, "", "", true, 100, [], [new FlagVariant("control", 50), new FlagVariant("treatment", 50)]), "test");
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private async Task<JsonElement> EvaluateAsync(string user)
    {
        using var client = _factory.CreateIngestClient(DashboardFactory.ClientKey);
        using var response = await client.PostAsync($"/ofrep/v1/evaluate/flags/{Flag}", Json($$"""{ "context": { "targetingKey": "{{user}}" } }"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private async Task<int> ExposuresAsync(string user)
    {
        await using var db = _factory.CreateDbContext();
        return await db.Exposures.CountAsync(x => x.ExperimentKey == Experiment && db.TrackedUsers.Any(u => u.Id == x.UserId && u.Key == user));
    }

    [Fact]
    public async Task Start_EvaluationRightAfter_RecordsTheExposure()
    {
        using var admin = _factory.CreateIngestClient(DashboardFactory.AdminKey);
        var created = await admin.PostAsync("/api/experiments", Json($$"""{ "key": "{{Experiment}}", "flagKey": "{{Flag}}", "goalEvent": "PROJECT_CREATED" }"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var before = await EvaluateAsync("early-user");
        Assert.False(before.GetProperty("metadata").TryGetProperty("experiment", out _));

        var started = await admin.PostAsync($"/api/experiments/{Experiment}/start", null);
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
        var evaluation = await EvaluateAsync("first-user");

        Assert.Equal(Experiment, evaluation.GetProperty("metadata").GetProperty("experiment").GetString());
        // The exposure goes through the batch writer; give it the time of a flush.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await ExposuresAsync("first-user") == 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal(1, await ExposuresAsync("first-user"));
        Assert.Equal(0, await ExposuresAsync("early-user"));
    }

    [Fact]
    public async Task Stop_EvaluationRightAfter_RecordsNoExposure()
    {
        using var admin = _factory.CreateIngestClient(DashboardFactory.AdminKey);
        var created = await admin.PostAsync("/api/experiments",
            Json($$"""{ "key": "{{Experiment}}", "flagKey": "{{Flag}}", "goalEvent": "PROJECT_CREATED", "state": "running" }"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(Experiment, (await EvaluateAsync("running-user")).GetProperty("metadata").GetProperty("experiment").GetString());

        var stopped = await admin.PostAsync($"/api/experiments/{Experiment}/stop", null);
        Assert.Equal(HttpStatusCode.OK, stopped.StatusCode);
        var evaluation = await EvaluateAsync("late-user");

        Assert.False(evaluation.GetProperty("metadata").TryGetProperty("experiment", out _));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await ExposuresAsync("running-user") == 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal(1, await ExposuresAsync("running-user"));
        Assert.Equal(0, await ExposuresAsync("late-user"));
    }
}
