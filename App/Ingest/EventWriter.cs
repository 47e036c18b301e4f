using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Dashboard.Data;
using Dashboard.Live;
using Microsoft.Extensions.Options;

namespace Dashboard.Ingest;

public sealed record WriteResult(int Accepted, int Duplicates);

/// <summary>One request's worth of work for the writer; completed after its transaction commits.</summary>
public sealed class WriteRequest(IReadOnlyList<ValidEvent> events, IReadOnlyList<QuarantineItem> quarantine, long receivedAt,
    IReadOnlyList<ExposureItem>? exposures = null)
{
    public IReadOnlyList<ValidEvent> Events { get; } = events;
    public IReadOnlyList<QuarantineItem> Quarantine { get; } = quarantine;
    /// <summary>Flag exposures; nobody waits for their commit.</summary>
    public IReadOnlyList<ExposureItem> Exposures { get; } = exposures ?? [];
    public long ReceivedAt { get; } = receivedAt;
    internal int Weight => Math.Max(1, Events.Count + Quarantine.Count + Exposures.Count);
    internal int Accepted;
    internal int Duplicates;
    internal readonly TaskCompletionSource<WriteResult> Completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public Task<WriteResult> Task => Completion.Task;
}

/// <summary>
/// The single writer of events. Requests wait in a queue bounded by the number of events it holds;
/// when it is full, <see cref="TryEnqueue"/> says no and the endpoint answers 503 with Retry-After.
/// The writer commits many requests in one transaction (group commit) and only then completes
/// each request, so an acknowledgement means the events are in the database. It flushes when a
/// batch is full, when the flush interval has passed, and drains the queue on shutdown.
/// Inserts reuse prepared commands; nothing goes through EF change tracking.
/// </summary>
public sealed class EventWriter : BackgroundService
{
    private readonly Channel<WriteRequest> _queue = Channel.CreateUnbounded<WriteRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IngestOptions _options;
    private readonly string _connectionString;
    private readonly IngestNotifier _notifier;
    private readonly ILogger<EventWriter> _logger;
    private readonly TimeProvider _clock;
    private int _queued;

    // Observable with dotnet-counters: `dotnet-counters monitor -n Dashboard --counters Dashboard.Ingest`.
    private static readonly Meter Meter = new("Dashboard.Ingest");
    private static readonly Counter<long> CommittedEvents = Meter.CreateCounter<long>("dashboard.ingest.committed_events");
    private static readonly Histogram<int> BatchRequests = Meter.CreateHistogram<int>("dashboard.ingest.batch_requests");
    private static readonly Histogram<double> CommitMs = Meter.CreateHistogram<double>("dashboard.ingest.batch_write_ms");

    public EventWriter(IOptions<IngestOptions> options, DatabaseLocation database, IngestNotifier notifier,
        ILogger<EventWriter> logger, TimeProvider clock)
    {
        _options = options.Value;
        _connectionString = database.ConnectionString;
        _notifier = notifier;
        _logger = logger;
        _clock = clock;
    }

    /// <summary>Events currently waiting for a commit.</summary>
    public int QueuedEvents => Volatile.Read(ref _queued);

    /// <summary>Number of transactions committed, for tests and diagnostics.</summary>
    public long Commits { get; private set; }

    public bool TryEnqueue(WriteRequest request)
    {
        var weight = request.Weight;
        if (Interlocked.Add(ref _queued, weight) > _options.QueueCapacity)
        {
            Interlocked.Add(ref _queued, -weight);
            return false;
        }
        if (_queue.Writer.TryWrite(request)) return true;
        Interlocked.Add(ref _queued, -weight); // shutting down
        return false;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Stop taking requests, then let ExecuteAsync drain what is queued.
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var store = new BatchStore(_connectionString, _options.Synchronous);
        var batch = new List<WriteRequest>();
        var reader = _queue.Reader;
        // The loop ends only when the queue is completed and empty, so nothing acknowledged-to-be is dropped.
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            await FillBatchAsync(reader, batch);
            if (batch.Count == 0) continue;
            try
            {
                WriteBatch(store, batch);
            }
            catch (Exception ex) when (batch.Count > 1)
            {
                // One bad request must not fail the others it shared a transaction with: retry each alone.
                _logger.LogWarning(ex, "A batch of {Requests} requests failed; writing them one by one", batch.Count);
                foreach (var r in batch) WriteAlone(store, r);
            }
            catch (Exception ex)
            {
                Fail(batch[0], ex);
            }
            finally
            {
                Interlocked.Add(ref _queued, -batch.Sum(r => r.Weight));
                batch.Clear();
            }
        }
    }

    private void WriteBatch(BatchStore store, List<WriteRequest> batch)
    {
        var started = Stopwatch.GetTimestamp();
        store.Write(batch);
        CommitMs.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        BatchRequests.Record(batch.Count);
        Commits++;
        foreach (var r in batch) r.Completion.TrySetResult(new WriteResult(r.Accepted, r.Duplicates));
        var accepted = batch.Sum(r => r.Accepted);
        CommittedEvents.Add(accepted);
        _notifier.Publish(accepted);
    }

    private void WriteAlone(BatchStore store, WriteRequest request)
    {
        try
        {
            WriteBatch(store, [request]);
        }
        catch (Exception ex)
        {
            Fail(request, ex);
        }
    }

    private void Fail(WriteRequest request, Exception ex)
    {
        _logger.LogError(ex, "Writing a request of {Events} events failed", request.Events.Count);
        request.Completion.TrySetException(new StoreUnavailableException(ex));
    }

    private async Task FillBatchAsync(ChannelReader<WriteRequest> reader, List<WriteRequest> batch)
    {
        var events = 0;
        var deadline = _clock.GetTimestamp() + TimeSpan.FromMilliseconds(_options.FlushIntervalMs).Ticks * _clock.TimestampFrequency / TimeSpan.TicksPerSecond;
        while (true)
        {
            while (events < _options.MaxBatchEvents && reader.TryRead(out var r))
            {
                batch.Add(r);
                events += r.Weight;
            }
            if (events >= _options.MaxBatchEvents || _options.FlushIntervalMs <= 0) return;
            var remaining = _clock.GetElapsedTime(_clock.GetTimestamp(), deadline);
            if (remaining <= TimeSpan.Zero) return;
            using var timeout = new CancellationTokenSource(remaining, _clock);
            try
            {
                if (!await reader.WaitToReadAsync(timeout.Token)) return; // completed: flush what we have
            }
            catch (OperationCanceledException)
            {
                return; // flush on time
            }
        }
    }
}

public sealed class StoreUnavailableException(Exception inner) : Exception("The event store is unavailable.", inner);
