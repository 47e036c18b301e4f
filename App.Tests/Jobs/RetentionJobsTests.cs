using Dashboard.Data;
using Dashboard.Jobs;
using Dashboard.Tests.TestSupport;
using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Jobs;

public sealed class RetentionJobsTests : IAsyncLifetime
{
    private const long Day = 86_400_000;
    private readonly DashboardFactory _factory = new(new Dictionary<string, string?>
    {
        ["Ingest:MaxAgeDays"] = "30",
        ["Quarantine:RetentionDays"] = "7",
    });

    public Task InitializeAsync()
    {
        _factory.StartServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public void JobSchedule_AtStart_DeclaresEveryRecurringJob()
    {
        using var connection = _factory.Services.GetRequiredService<JobStorage>().GetConnection();
        var jobs = connection.GetRecurringJobs();
        Assert.Equal(new[] { Dashboard.Operations.BackupJob.Id, CohortJob.Id, EventRetentionJob.Id, QuarantineRetentionJob.Id, RollupJob.Id }.Order(),
            jobs.Select(j => j.Id).Order().ToArray());
        var rollups = jobs.Single(j => j.Id == RollupJob.Id);
        Assert.Null(rollups.Error);
        Assert.InRange(rollups.NextExecution!.Value, DateTime.UtcNow.AddSeconds(-5), DateTime.UtcNow.AddSeconds(15));
    }

    [Fact]
    public async Task EventRetention_EventsOlderThanTheWindow_AreDeletedOthersKept()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using (var db = _factory.CreateDbContext())
        {
            db.Events.AddRange(
                Event("old-1", now - 31 * Day),
                Event("old-2", now - 30 * Day - 1000),
                Event("edge", now - 30 * Day + 60_000),
                Event("new", now - Day));
            db.EventStats.Add(new EventStat { Name = "APP_OPENED", Count = 4, LastSeen = now - Day });
            await db.SaveChangesAsync();
        }

        var deleted = await _factory.Services.GetRequiredService<EventRetentionJob>().RunAsync(CancellationToken.None);

        Assert.Equal(2, deleted);
        await using var check = _factory.CreateDbContext();
        Assert.Equal(["edge", "new"], check.Events.Select(e => e.MessageId).Order().ToArray());
        Assert.Equal(2, check.EventStats.Single(s => s.Name == "APP_OPENED").Count);
    }

    [Fact]
    public async Task QuarantineRetention_OldAndReplayedRows_AreDeleted()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using (var db = _factory.CreateDbContext())
        {
            db.Quarantine.AddRange(
                Row("too old", now - 8 * Day, null),
                Row("replayed two days ago", now - 3 * Day, now - 2 * Day),
                Row("replayed just now", now - 3 * Day, now - 1000),
                Row("recent", now - Day, null));
            await db.SaveChangesAsync();
        }

        var deleted = await _factory.Services.GetRequiredService<QuarantineRetentionJob>().RunAsync(CancellationToken.None);

        Assert.Equal(2, deleted);
        await using var check = _factory.CreateDbContext();
        Assert.Equal(["recent", "replayed just now"], check.Quarantine.Select(q => q.Reason).Order().ToArray());
    }

    private static EventRecord Event(string id, long timestamp) =>
        new() { MessageId = id, Name = "APP_OPENED", UserId = 1, Timestamp = timestamp, ReceivedAt = timestamp };

    private static QuarantinedEvent Row(string reason, long receivedAt, long? replayedAt) =>
        new() { Reason = reason, Payload = "{}", ReceivedAt = receivedAt, ReplayedAt = replayedAt };
}
