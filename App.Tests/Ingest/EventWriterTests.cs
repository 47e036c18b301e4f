using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Dashboard.Ingest;
using Dashboard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static Dashboard.Tests.Ingest.IngestTestKit;

namespace Dashboard.Tests.Ingest;

/// <summary>An application whose writer waits 300 ms for more work before it commits a batch that is not full.</summary>
public sealed class EventWriterFixture : IAsyncLifetime
{
    public const int FlushIntervalMs = 300;

    public DashboardFactory Factory { get; } = new(new Dictionary<string, string?> { ["Ingest:FlushIntervalMs"] = FlushIntervalMs.ToString() });

    public async Task InitializeAsync()
    {
        // Warm the request path up so that timings in the tests measure the writer, not start-up.
        using var client = Factory.Started().CreateIngestClient();
        using var response = await client.PostObjectAsync("/ingest", Feature(NewId("warm-up")));
        await response.ReadReplyAsync();
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}

public sealed class EventWriterTests(EventWriterFixture fixture) : IClassFixture<EventWriterFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static DashboardFactory CreateFactory(params (string Key, string Value)[] settings) =>
        new DashboardFactory(settings.ToDictionary(s => s.Key, s => (string?)s.Value)).Started();

    /// <summary>A request of <paramref name="count"/> valid track events, as the endpoint would enqueue it.</summary>
    private static WriteRequest Request(string prefix, int count, out List<string> messageIds, int quarantined = 0)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        messageIds = Enumerable.Range(0, count).Select(_ => NewId(prefix)).ToList();
        var events = messageIds
            .Select(id => new ValidEvent(MessageType.Track, "user-" + prefix, "FEATURE_ENGAGED",
                """{"featureName":"direct","clickTarget":"writer"}""", null, now, id))
            .ToList();
        var quarantine = Enumerable.Range(0, quarantined)
            .Select(i => new QuarantineItem("UNKNOWN_EVENT", "unknown_event: test", $$"""{"event":"UNKNOWN_EVENT","marker":"{{prefix}}-q{{i}}"}"""))
            .ToList();
        return new WriteRequest(events, quarantine, now);
    }

    // ---- group commit and durability ----

    [Fact]
    public async Task Post_ManyConcurrentRequests_AreCommittedInFewerTransactionsThanRequests()
    {
        const int requests = 24;
        var factory = fixture.Factory;
        var writer = factory.Services.GetRequiredService<EventWriter>();
        var ids = Enumerable.Range(0, requests).Select(_ => NewId("group")).ToList();
        using var client = factory.CreateIngestClient();
        var commitsBefore = writer.Commits;

        var responses = await Task.WhenAll(ids.Select(id => client.PostObjectAsync("/ingest", Feature(id))));

        var commits = writer.Commits - commitsBefore;
        foreach (var response in responses)
        {
            Assert.Equal(1, (await response.ReadReplyAsync()).Accepted);
            response.Dispose();
        }
        Assert.InRange(commits, 1, requests / 2);
        Assert.All(ids, id => factory.SingleEvent(id));
    }

    [Fact]
    public async Task Post_Response_ArrivesOnlyAfterTheEventsAreInTheDatabaseFile()
    {
        var factory = fixture.Factory;
        var writer = factory.Services.GetRequiredService<EventWriter>();
        var ids = Enumerable.Range(0, 5).Select(_ => NewId("durable")).ToList();
        using var client = factory.CreateIngestClient();
        var commitsBefore = writer.Commits;
        var clock = Stopwatch.StartNew();

        using var response = await client.PostRawAsync("/ingest", JsonSerializer.Serialize(new { batch = ids.Select(id => Feature(id)) }));

        // The writer held the batch for the flush interval; an answer on enqueue would have come first.
        Assert.True(clock.ElapsedMilliseconds >= EventWriterFixture.FlushIntervalMs - 30, $"answered after {clock.ElapsedMilliseconds} ms");
        Assert.Equal(5, (await response.ReadReplyAsync()).Accepted);
        Assert.Equal(commitsBefore + 1, writer.Commits);
        Assert.All(ids, id => factory.SingleEvent(id));
    }

    [Fact]
    public async Task TryEnqueue_CompletedTask_MeansTheRowsAreCommitted()
    {
        var factory = fixture.Factory;
        var writer = factory.Services.GetRequiredService<EventWriter>();
        var prefix = NewId("direct");
        var request = Request(prefix, 3, out var ids, quarantined: 2);

        Assert.True(writer.TryEnqueue(request));
        var result = await request.Task.WaitAsync(Patience);

        Assert.Equal(new WriteResult(3, 0), result);
        Assert.All(ids, id => factory.SingleEvent(id));
        Assert.Single(factory.QuarantineContaining($"{prefix}-q0"));
        Assert.Single(factory.QuarantineContaining($"{prefix}-q1"));
    }

    // ---- flush on time and on size ----

    [Fact]
    public async Task Post_LoneRequest_WaitsAboutTheFlushInterval()
    {
        var factory = fixture.Factory;
        var writer = factory.Services.GetRequiredService<EventWriter>();
        var id = NewId("lone");
        using var client = factory.CreateIngestClient();
        var commitsBefore = writer.Commits;
        var clock = Stopwatch.StartNew();

        using var response = await client.PostObjectAsync("/ingest", Feature(id));

        var elapsed = clock.ElapsedMilliseconds;
        Assert.Equal(1, (await response.ReadReplyAsync()).Accepted);
        Assert.InRange(elapsed, EventWriterFixture.FlushIntervalMs - 30, 10_000);
        Assert.Equal(commitsBefore + 1, writer.Commits);
        factory.SingleEvent(id);
    }

    [Fact]
    public async Task Post_FullBatch_IsCommittedWithoutWaitingForTheInterval()
    {
        // A minute-long interval: only a full batch (or shutdown) can make the writer commit.
        await using var factory = CreateFactory(("Ingest:MaxBatchEvents", "3"), ("Ingest:FlushIntervalMs", "60000"));
        var writer = factory.Services.GetRequiredService<EventWriter>();
        var ids = Enumerable.Range(0, 3).Select(_ => NewId("full")).ToList();
        using var client = factory.CreateIngestClient();

        using var response = await client.PostRawAsync("/ingest", JsonSerializer.Serialize(new { batch = ids.Select(id => Feature(id)) }))
            .WaitAsync(Patience);

        Assert.Equal(3, (await response.ReadReplyAsync()).Accepted);
        Assert.Equal(1, writer.Commits);
        Assert.All(ids, id => factory.SingleEvent(id));
    }

    [Fact]
    public async Task TryEnqueue_RequestsFillingABatchTogether_AreCommittedInOneTransaction()
    {
        await using var factory = CreateFactory(("Ingest:MaxBatchEvents", "3"), ("Ingest:FlushIntervalMs", "60000"));
        var writer = factory.Services.GetRequiredService<EventWriter>();
        var first = Request("fill-a", 1, out var firstIds);
        var second = Request("fill-b", 2, out var secondIds);

        Assert.True(writer.TryEnqueue(first));
        Assert.False(first.Task.IsCompleted); // one event of three: nothing triggers a commit yet
        Assert.Empty(factory.EventsByMessageId(firstIds[0]));
        Assert.True(writer.TryEnqueue(second));
        var results = await Task.WhenAll(first.Task, second.Task).WaitAsync(Patience);

        Assert.Equal([new WriteResult(1, 0), new WriteResult(2, 0)], results);
        Assert.Equal(1, writer.Commits);
        Assert.All(firstIds.Concat(secondIds), id => factory.SingleEvent(id));
    }

    // ---- back-pressure ----

    [Fact]
    public async Task Post_WhileTheQueueIsFull_Returns503WithRetryAfter()
    {
        // Room for one event, and no flush before shutdown: the first request keeps the queue full.
        await using var factory = CreateFactory(("Ingest:QueueCapacity", "1"), ("Ingest:FlushIntervalMs", "60000"));
        var writer = factory.Services.GetRequiredService<EventWriter>();
        using var client = factory.CreateIngestClient();
        var waiting = Request("waiting", 1, out var waitingIds);
        var refused = NewId("refused");

        Assert.True(writer.TryEnqueue(waiting));
        using var response = await client.PostObjectAsync("/ingest", Feature(refused));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var retryAfter = response.Headers.RetryAfter;
        Assert.NotNull(retryAfter);
        Assert.True(retryAfter.Delta > TimeSpan.Zero, $"Retry-After: {retryAfter}");
        Assert.False(string.IsNullOrWhiteSpace(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()));
        Assert.False(writer.TryEnqueue(Request("also-refused", 1, out _)));
        Assert.False(waiting.Task.IsCompleted);
        Assert.Equal(1, writer.QueuedEvents);

        // The refused request left no trace; the one that got in is committed when the host stops.
        await factory.Services.GetRequiredService<IHost>().StopAsync().WaitAsync(Patience);
        Assert.Equal(new WriteResult(1, 0), await waiting.Task.WaitAsync(Patience));
        factory.SingleEvent(waitingIds[0]);
        Assert.Empty(factory.EventsByMessageId(refused));
        Assert.Empty(factory.QuarantineContaining(refused));
    }

    [Fact]
    public async Task Post_QueueNotYetFull_IsAccepted()
    {
        await using var factory = CreateFactory(("Ingest:QueueCapacity", "2"), ("Ingest:MaxBatchEvents", "2"), ("Ingest:FlushIntervalMs", "60000"));
        var writer = factory.Services.GetRequiredService<EventWriter>();
        using var client = factory.CreateIngestClient();
        var first = Request("room", 1, out _);
        Assert.True(writer.TryEnqueue(first));

        // One event of room left: this request fills the batch, which is committed, and the queue empties.
        var id = NewId("room-http");
        using var accepted = await client.PostObjectAsync("/ingest", Feature(id)).WaitAsync(Patience);

        Assert.Equal(1, (await accepted.ReadReplyAsync()).Accepted);
        Assert.Equal(new WriteResult(1, 0), await first.Task.WaitAsync(Patience));
        Assert.Equal(0, writer.QueuedEvents);
        factory.SingleEvent(id);
    }

    [Fact]
    public async Task TryEnqueue_QueueFullByBytes_RefusesWhatNoLongerFits()
    {
        await using var factory = CreateFactory(("Ingest:QueueCapacityBytes", "40000"), ("Ingest:FlushIntervalMs", "60000"));
        var writer = factory.Services.GetRequiredService<EventWriter>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        WriteRequest Big(string id) => new([new ValidEvent(MessageType.Track, "user-" + id, "FEATURE_ENGAGED",
            $$"""{"featureName":"big","clickTarget":"{{new string('x', 12_000)}}"}""", null, now, id)], [], now);

        var first = Big(NewId("bytes"));
        var second = Big(NewId("bytes"));
        Assert.True(writer.TryEnqueue(first));
        Assert.False(writer.TryEnqueue(second)); // two events, but some 48 KB of them
        Assert.InRange(writer.QueuedBytes, 24_000, 40_000);
        Assert.True(writer.TryEnqueue(Request(NewId("small"), 1, out _)));

        await factory.Services.GetRequiredService<IHost>().StopAsync().WaitAsync(Patience);
        Assert.Equal(new WriteResult(1, 0), await first.Task);
        Assert.Equal(0, writer.QueuedBytes);
    }

    [Fact]
    public async Task TryEnqueue_RequestBiggerThanTheWholeQueue_GetsInWhenTheQueueIsEmpty()
    {
        await using var factory = CreateFactory(("Ingest:QueueCapacity", "5"), ("Ingest:FlushIntervalMs", "60000"));
        var writer = factory.Services.GetRequiredService<EventWriter>();

        var big = Request("whole-queue", 8, out var ids);
        Assert.True(writer.TryEnqueue(big)); // refusing it would make its client retry forever
        Assert.False(writer.TryEnqueue(Request(NewId("behind"), 1, out _)));

        await factory.Services.GetRequiredService<IHost>().StopAsync().WaitAsync(Patience);
        Assert.Equal(new WriteResult(8, 0), await big.Task);
    }

    [Fact]
    public async Task TryEnqueue_Exposures_TakeOnlyTheirShareAndGiveWayFirst()
    {
        await using var factory = CreateFactory(("Ingest:QueueCapacity", "100"), ("Ingest:ExposureQueueShare", "0.1"), ("Ingest:FlushIntervalMs", "60000"));
        var writer = factory.Services.GetRequiredService<EventWriter>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        WriteRequest Exposure(int i) => new([], [], now, [new ExposureItem("exp", "flag", $"visitor-{i}", "on", now)]);

        // Ten exposures fill their share; the eleventh is refused, and the events still have all their room.
        Assert.All(Enumerable.Range(0, 10), i => Assert.True(writer.TryEnqueue(Exposure(i))));
        Assert.False(writer.TryEnqueue(Exposure(10)));
        Assert.True(writer.TryEnqueue(Request(NewId("room"), 100, out _)));
        Assert.Equal(110, writer.QueuedEvents);

        await factory.Services.GetRequiredService<IHost>().StopAsync().WaitAsync(Patience);
    }

    [Fact]
    public async Task TryEnqueue_EventsFillHalfTheQueue_ExposuresAreRefused()
    {
        await using var factory = CreateFactory(("Ingest:QueueCapacity", "100"), ("Ingest:FlushIntervalMs", "60000"));
        var writer = factory.Services.GetRequiredService<EventWriter>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var exposure = new WriteRequest([], [], now, [new ExposureItem("exp", "flag", "visitor", "on", now)]);

        Assert.True(writer.TryEnqueue(Request(NewId("half"), 51, out _)));
        Assert.False(writer.TryEnqueue(exposure));
        Assert.True(writer.TryEnqueue(Request(NewId("half"), 49, out _)));

        await factory.Services.GetRequiredService<IHost>().StopAsync().WaitAsync(Patience);
    }

    // ---- shutdown ----

    [Fact]
    public async Task StopAsync_WithQueuedRequests_DrainsEverythingIntoTheDatabase()
    {
        await using var factory = CreateFactory(("Ingest:FlushIntervalMs", "60000"));
        var writer = factory.Services.GetRequiredService<EventWriter>();
        var host = factory.Services.GetRequiredService<IHost>();

        var requests = Enumerable.Range(0, 5).Select(i => Request($"drain{i}", 20, out _, quarantined: 1)).ToList();
        Assert.All(requests, r => Assert.True(writer.TryEnqueue(r)));
        Assert.Equal(5 * 21, writer.QueuedEvents);
        Assert.All(requests, r => Assert.False(r.Task.IsCompleted));
        Assert.Equal(0, Count(factory.DatabasePath, "SELECT count(*) FROM Events WHERE MessageId LIKE 'drain%'"));

        await host.StopAsync().WaitAsync(Patience);

        Assert.All(requests, r => Assert.Equal(new WriteResult(20, 0), r.Task.Result));
        Assert.Equal(0, writer.QueuedEvents);
        Assert.False(writer.TryEnqueue(Request("after-stop", 1, out _)));

        // Read the file with a connection of our own now that the application has let go of it.
        Assert.Equal(5 * 20, Count(factory.DatabasePath, "SELECT count(*) FROM Events WHERE MessageId LIKE 'drain%'"));
        Assert.All(Enumerable.Range(0, 5), i => Assert.Single(QuarantineContaining(factory.DatabasePath, $"drain{i}-q0")));
        Assert.Equal(0, Count(factory.DatabasePath, "SELECT count(*) FROM Events WHERE MessageId LIKE 'after-stop%'"));
    }
}
