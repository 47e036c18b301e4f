using Dashboard.Data;
using Dashboard.Flags;
using Dashboard.Ingest;
using Dashboard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Flags;

public sealed class ExposureRecorderTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task Write_SecondExposureOfAUser_KeepsTheFirstAndLeavesFirstSeenAlone()
    {
        var writer = _factory.Services.GetRequiredService<EventWriter>();
        using (var client = _factory.CreateIngestClient())
        {
            var response = await client.PostAsync("/ingest", new StringContent(
                """{ "event": "APP_OPENED", "userId": "known-user", "timestamp": "2026-11-01T10:00:00Z" }""", System.Text.Encoding.UTF8, "application/json"));
            response.EnsureSuccessStatusCode();
        }
        var at = DateTimeOffset.Parse("2026-11-20T10:00:00Z").ToUnixTimeMilliseconds();
        var first = new WriteRequest([], [], at, [new ExposureItem("exp", "flag", "known-user", "treatment", at), new ExposureItem("exp", "flag", "new-user", "control", at)]);
        Assert.True(writer.TryEnqueue(first));
        await first.Task;
        var second = new WriteRequest([], [], at + 1000, [new ExposureItem("exp", "flag", "known-user", "control", at + 1000)]);
        Assert.True(writer.TryEnqueue(second));
        await second.Task;

        await using var db = _factory.CreateDbContext();
        var exposures = await db.Exposures.AsNoTracking().OrderBy(e => e.Id).ToListAsync();
        Assert.Equal(2, exposures.Count);
        var known = await db.TrackedUsers.AsNoTracking().SingleAsync(u => u.Key == "known-user");
        var knownExposure = exposures.Single(e => e.UserId == known.Id);
        Assert.Equal(("treatment", at), (knownExposure.Variant, knownExposure.Timestamp));
        Assert.Equal(DateTimeOffset.Parse("2026-11-01T10:00:00Z").ToUnixTimeMilliseconds(), known.FirstSeen);
        Assert.Equal(known.FirstSeen, known.LastSeen);
        Assert.True(await db.TrackedUsers.AnyAsync(u => u.Key == "new-user"));
    }

    [Fact]
    public async Task Record_RepeatedEvaluations_EnqueueOnce()
    {
        var writer = _factory.Services.GetRequiredService<EventWriter>();
        var recorder = _factory.Services.GetRequiredService<ExposureRecorder>();
        var commits = writer.Commits;
        for (var i = 0; i < 50; i++) recorder.Record("exp2", "flag2", "repeat-user", "a", 1_700_000_000_000 + i);
        var rows = await Eventually.ReadAsync(async () =>
        {
            await using var db = _factory.CreateDbContext();
            return await db.Exposures.AsNoTracking().Where(e => e.ExperimentKey == "exp2").ToListAsync();
        }, r => r.Count > 0);
        var row = Assert.Single(rows);
        Assert.Equal(1_700_000_000_000, row.Timestamp);
        Assert.Equal(commits + 1, writer.Commits);
    }

    [Fact]
    public void Record_EndlessFreshTargetingKeys_KeepsItsMemoryBounded()
    {
        var recorder = _factory.Services.GetRequiredService<ExposureRecorder>();
        var writer = _factory.Services.GetRequiredService<EventWriter>();
        var key = new string('v', 240);
        long most = 0;
        for (var i = 0; i < 70_000; i++)
        {
            recorder.Record("flood", "flag", $"{key}{i:D10}", "on", 1_700_000_000_000);
            most = Math.Max(most, recorder.RememberedBytes);
        }

        Assert.InRange(most, 1, ExposureRecorder.MaxRememberedBytes + 1_000);
        Assert.InRange(recorder.Remembered, 0, ExposureRecorder.MaxRemembered);
        // Exposures took no more than their share of the write queue.
        Assert.InRange(writer.QueuedEvents, 0, 50_000 / 10);
    }
}
