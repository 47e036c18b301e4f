using Dashboard.Ingest;
using Dashboard.Tests.TestSupport;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static Dashboard.Tests.Ingest.IngestTestKit;

namespace Dashboard.Tests.Ingest;

/// <summary>
/// How the writer behaves when the store fails: a busy or locked file is waited out with the whole
/// batch, bad data splits the batch until the request that holds it stands alone, and no request's
/// rows are written twice. The failures are real: another connection holding the write lock, and
/// a trigger that refuses one event.
/// </summary>
public sealed class WriterStallTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static DashboardFactory CreateFactory(params (string Key, string Value)[] settings) =>
        new DashboardFactory(new[] { ("Ingest:FlushIntervalMs", "60000"), ("Ingest:BusyTimeoutMs", "20") }
            .Concat(settings).ToDictionary(s => s.Item1, s => (string?)s.Item2)).Started();

    private static WriteRequest Request(string prefix, string eventName = "FEATURE_ENGAGED")
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return new WriteRequest(
            [new ValidEvent(MessageType.Track, "user-" + prefix, eventName, """{"featureName":"stall","clickTarget":"writer"}""", null, now, prefix)],
            [new QuarantineItem("UNKNOWN_EVENT", "unknown_event: test", $$"""{"marker":"{{prefix}}-q"}""")],
            now);
    }

    [Fact]
    public async Task Write_StoreLockedForAWhile_CommitsTheWholeBatchOnceTheLockIsGone()
    {
        await using var factory = CreateFactory(("Ingest:MaxBatchEvents", "6"), ("Ingest:StoreRetries", "8"));
        var writer = factory.Services.GetRequiredService<EventWriter>();
        var requests = Enumerable.Range(0, 3).Select(i => Request(NewId($"locked{i}"))).ToList();
        var commitsBefore = writer.Commits;

        using (HoldWriteLock(factory.DatabasePath))
        {
            Assert.All(requests, r => Assert.True(writer.TryEnqueue(r)));
            // Longer than one attempt waits (the driver's one-second command timeout): the writer
            // meets the lock, gives up on the attempt, pauses and writes the whole batch again.
            await Task.Delay(2_500);
            Assert.All(requests, r => Assert.False(r.Task.IsCompleted));
        }
        var results = await Task.WhenAll(requests.Select(r => r.Task)).WaitAsync(Patience);

        Assert.All(results, r => Assert.Equal(new WriteResult(1, 0), r));
        Assert.Equal(commitsBefore + 1, writer.Commits); // one transaction: the batch was not split
        Assert.Contains(factory.Logs.ToList(), l => l.Contains("writing a batch of 3 requests again", StringComparison.Ordinal));
        foreach (var r in requests)
        {
            factory.SingleEvent(r.Events[0].MessageId);
            Assert.Single(factory.QuarantineContaining(r.Events[0].MessageId + "-q"));
        }
    }

    [Fact]
    public async Task Write_StoreLockedForGood_AnswersEveryRequestUnavailableAndWritesNothing()
    {
        await using var factory = CreateFactory(("Ingest:MaxBatchEvents", "4"), ("Ingest:StoreRetries", "2"));
        var writer = factory.Services.GetRequiredService<EventWriter>();
        var requests = Enumerable.Range(0, 2).Select(i => Request(NewId($"down{i}"))).ToList();

        using (HoldWriteLock(factory.DatabasePath))
        {
            Assert.All(requests, r => Assert.True(writer.TryEnqueue(r)));
            foreach (var r in requests)
                await Assert.ThrowsAsync<StoreUnavailableException>(() => r.Task.WaitAsync(Patience));
        }

        Assert.Equal(0, writer.QueuedEvents);
        foreach (var r in requests)
        {
            Assert.Empty(factory.EventsByMessageId(r.Events[0].MessageId));
            Assert.Empty(factory.QuarantineContaining(r.Events[0].MessageId + "-q"));
        }
        // The writer is still there: the next requests, sent again, are committed once.
        var again = Request(requests[0].Events[0].MessageId);
        var more = Request(NewId("after"));
        Assert.True(writer.TryEnqueue(again));
        Assert.True(writer.TryEnqueue(more));
        await factory.Services.GetRequiredService<IHost>().StopAsync().WaitAsync(Patience);
        Assert.Equal(new WriteResult(1, 0), await again.Task);
        Assert.Single(QuarantineContaining(factory.DatabasePath, again.Events[0].MessageId + "-q"));
    }

    [Fact]
    public async Task Write_OneRequestWithBadData_FailsAloneAndTheOthersAreCommittedOnce()
    {
        await using var factory = CreateFactory(("Ingest:MaxBatchEvents", "10"));
        using (var connection = new SqliteConnection($"Data Source={factory.DatabasePath};Pooling=False"))
        {
            connection.Open();
            using var trigger = connection.CreateCommand();
            trigger.CommandText = "CREATE TRIGGER refuse_poison BEFORE INSERT ON Events WHEN new.Name = 'POISON' BEGIN SELECT RAISE(ABORT, 'poison'); END";
            trigger.ExecuteNonQuery();
        }
        var writer = factory.Services.GetRequiredService<EventWriter>();
        var good = Enumerable.Range(0, 4).Select(i => Request(NewId($"good{i}"))).ToList();
        var poison = Request(NewId("poison"), "POISON");
        var all = new[] { good[0], good[1], poison, good[2], good[3] };
        var commitsBefore = writer.Commits;

        Assert.All(all, r => Assert.True(writer.TryEnqueue(r)));
        await factory.Services.GetRequiredService<IHost>().StopAsync().WaitAsync(Patience); // flushes the one batch

        await Assert.ThrowsAsync<StoreRejectedException>(() => poison.Task);
        Assert.All(good, r => Assert.Equal(new WriteResult(1, 0), r.Task.Result));
        // Halves: [g0 g1] commits; [poison g2 g3] fails and splits into [poison], which fails alone, and [g2 g3].
        Assert.Equal(commitsBefore + 2, writer.Commits);
        foreach (var r in good)
        {
            Assert.Equal(1, Count(factory.DatabasePath, $"SELECT count(*) FROM Events WHERE MessageId = '{r.Events[0].MessageId}'"));
            Assert.Single(QuarantineContaining(factory.DatabasePath, r.Events[0].MessageId + "-q"));
        }
        Assert.Empty(QuarantineContaining(factory.DatabasePath, poison.Events[0].MessageId + "-q"));
    }

    [Theory]
    [InlineData("SELECT RAISE(ABORT, 'refused by the test')", 400, "refused by the test")] // SQLITE_CONSTRAINT: the request's value
    [InlineData("SELECT json('{')", 500, "malformed JSON")]                                 // SQLITE_ERROR
    public async Task Ingest_StoreRefusesTheRequestsData_AnswersWithTheReasonNotRetryAfter(string refusal, int status, string reason)
    {
        await using var factory = new DashboardFactory().Started();
        var refused = NewId("refused");
        using (var connection = new SqliteConnection($"Data Source={factory.DatabasePath};Pooling=False"))
        {
            connection.Open();
            using var trigger = connection.CreateCommand();
            trigger.CommandText = $"CREATE TRIGGER refuse_one BEFORE INSERT ON Events WHEN new.MessageId = '{refused}' BEGIN {refusal}; END";
            trigger.ExecuteNonQuery();
        }
        using var client = factory.CreateIngestClient();

        using var response = await client.PostObjectAsync("/ingest", Feature(refused));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Contains(reason, text);
        Assert.False(response.Headers.Contains("Retry-After"));
        Assert.Empty(factory.EventsByMessageId(refused));
        var next = NewId("next");
        Assert.Equal(1, (await (await client.PostObjectAsync("/ingest", Feature(next))).ReadReplyAsync()).Accepted);
    }

    [Theory]
    [InlineData(5, true)]    // SQLITE_BUSY
    [InlineData(6, true)]    // SQLITE_LOCKED
    [InlineData(10, true)]   // SQLITE_IOERR
    [InlineData(13, true)]   // SQLITE_FULL
    [InlineData(19, false)]  // SQLITE_CONSTRAINT
    [InlineData(1, false)]   // SQLITE_ERROR (malformed JSON in a property, say)
    public void IsUnavailable_SqliteCodes_TellTheStoresStateFromBadData(int code, bool unavailable) =>
        Assert.Equal(unavailable, StoreErrors.IsUnavailable(new SqliteException("test", code)));
}
