using System.Net;
using System.Text.Json;
using Dashboard.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static Dashboard.Tests.Ingest.IngestTestKit;

namespace Dashboard.Tests.Operations;

/// <summary>
/// Ingest over real Kestrel while the store cannot take writes: full (its size limit,
/// <c>Database:MaxPageCount</c>, held at the file's size, which fails writes with SQLITE_FULL as a
/// full disk does) or locked by another connection beyond the busy timeout. Requests are answered
/// <c>503</c> with <c>Retry-After</c>, never <c>500</c>; every event answered <c>200</c> is stored;
/// and once the store takes writes again, the same server answers <c>200</c> by itself and every
/// event is stored exactly once.
/// </summary>
public sealed class StoreFaultTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new(new Dictionary<string, string?>
    {
        ["Ingest:BusyTimeoutMs"] = "200",
        ["Ingest:StoreRetries"] = "1",
    }, kestrel: true, scheduleJobs: false);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    /// <summary>A request's events (unique messageIds) and the answers it got, in order.</summary>
    private sealed record Batch(List<string> MessageIds, object Body)
    {
        public List<HttpStatusCode> Answers { get; } = [];
        public bool Acknowledged => Answers.Contains(HttpStatusCode.OK);
    }

    private static Batch NewBatch(string prefix, int events, int padding = 0)
    {
        var ids = Enumerable.Range(0, events).Select(_ => NewId(prefix)).ToList();
        var items = ids.Select(id =>
        {
            var e = Feature(id);
            ((Dictionary<string, object?>)e["properties"]!)["clickTarget"] = new string('x', padding + 1);
            return e;
        }).ToArray();
        return new Batch(ids, new { batch = items });
    }

    /// <summary>Sends the batch once and checks the answer: 200 with every event accepted or counted a duplicate, or 503 with Retry-After.</summary>
    private static async Task<HttpStatusCode> SendAsync(HttpClient client, Batch batch)
    {
        using var response = await client.PostObjectAsync("/ingest", batch.Body);
        var text = await response.Content.ReadAsStringAsync();
        batch.Answers.Add(response.StatusCode);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            var reply = JsonSerializer.Deserialize<Dashboard.Tests.Ingest.IngestReply>(text, JsonSerializerOptions.Web)!;
            Assert.Equal(batch.MessageIds.Count, reply.Accepted + reply.Duplicates);
            Assert.Empty(reply.Rejected);
        }
        else
        {
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"expected 200 or 503, got {(int)response.StatusCode}: {text}");
            Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"a 503 without Retry-After: {response.Headers.RetryAfter}");
            Assert.Contains("the event store is unavailable", text);
        }
        return response.StatusCode;
    }

    /// <summary>Every event of the acknowledged batches is stored once; the rest are not stored at all (a refused request writes nothing).</summary>
    private void AssertStoredExactlyTheAcknowledged(IEnumerable<Batch> batches)
    {
        foreach (var b in batches)
        foreach (var id in b.MessageIds)
            Assert.Equal(b.Acknowledged ? 1 : 0, Count(_factory.DatabasePath, $"SELECT count(*) FROM Events WHERE MessageId = '{id}'"));
        // Per-name totals move in the events' transaction: no half-written batch.
        Assert.Equal(Count(_factory.DatabasePath, "SELECT count(*) FROM Events"),
            Count(_factory.DatabasePath, "SELECT coalesce(sum(Count), 0) FROM EventStats"));
    }

    /// <summary>Sends every batch not yet acknowledged again, as a client does after Retry-After, until each is answered 200.</summary>
    private static async Task SendUntilAcknowledgedAsync(HttpClient client, List<Batch> batches)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        foreach (var b in batches.Where(b => !b.Acknowledged))
            while (await SendAsync(client, b) != HttpStatusCode.OK)
            {
                Assert.True(DateTime.UtcNow < deadline, "the store did not take writes again within a minute");
                await Task.Delay(200);
            }
    }

    private IConfiguration Configuration => _factory.Services.GetRequiredService<IConfiguration>();

    [Fact]
    public async Task Ingest_StoreFull_Answers503WithRetryAfterLosesNothingAndRecoversWhenSpaceReturns()
    {
        using var client = _factory.CreateIngestClient();
        var batches = new List<Batch>();
        for (var i = 0; i < 3; i++)
        {
            batches.Add(NewBatch("before", 20));
            Assert.Equal(HttpStatusCode.OK, await SendAsync(client, batches[^1]));
        }

        // No room past the file's present size: the pages SQLite has free inside the file go first,
        // then writes fail as on a full disk.
        Configuration["Database:MaxPageCount"] = Count(_factory.DatabasePath, "PRAGMA page_count").ToString();
        var full = false;
        for (var i = 0; i < 200 && !full; i++)
        {
            batches.Add(NewBatch("full", 50, padding: 1_000));
            full = await SendAsync(client, batches[^1]) == HttpStatusCode.ServiceUnavailable;
        }
        Assert.True(full, "the store never filled");
        // Still full: the next requests are refused too, and nothing of them is written.
        batches.Add(NewBatch("full", 50, padding: 1_000));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await SendAsync(client, batches[^1]));
        AssertStoredExactlyTheAcknowledged(batches);

        // Space returns: the same server takes writes again, without a restart.
        Configuration["Database:MaxPageCount"] = null;
        await SendUntilAcknowledgedAsync(client, batches);
        batches.Add(NewBatch("after", 20));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(client, batches[^1]));

        AssertStoredExactlyTheAcknowledged(batches);
        Assert.Equal(batches.Sum(b => b.MessageIds.Count), Count(_factory.DatabasePath, "SELECT count(*) FROM Events"));
        Assert.Equal(1, Count(_factory.DatabasePath, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"));
    }

    [Fact]
    public async Task Ingest_StoreLockedByAnotherConnection_Answers503WithRetryAfterLosesNothingAndRecoversOnRelease()
    {
        using var client = _factory.CreateIngestClient();
        var batches = new List<Batch> { NewBatch("before", 20) };
        Assert.Equal(HttpStatusCode.OK, await SendAsync(client, batches[0]));

        using (HoldWriteLock(_factory.DatabasePath))
        {
            // Longer than the writer's every attempt (its busy timeout and the driver's one-second command timeout, twice).
            for (var i = 0; i < 3; i++)
            {
                batches.Add(NewBatch("locked", 20));
                Assert.Equal(HttpStatusCode.ServiceUnavailable, await SendAsync(client, batches[^1]));
            }
            AssertStoredExactlyTheAcknowledged(batches);
        }

        await SendUntilAcknowledgedAsync(client, batches);
        batches.Add(NewBatch("after", 20));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(client, batches[^1]));

        AssertStoredExactlyTheAcknowledged(batches);
        Assert.Equal(batches.Sum(b => b.MessageIds.Count), Count(_factory.DatabasePath, "SELECT count(*) FROM Events"));
        // The first answer of each batch sent while the lock was held was 503, and one sending after the release was enough.
        Assert.All(batches.Where(b => b.MessageIds[0].StartsWith("locked")), b => Assert.Equal([HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK], b.Answers));
    }
}
