using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Dashboard.Data;
using Dashboard.Live;
using Microsoft.Extensions.Options;

namespace Dashboard.Ingest;

/// <summary>What the writer did with a request: accepted and duplicate counts, and items it refused (a merge that must not happen).</summary>
public sealed record WriteResult(int Accepted, int Duplicates)
{
    public IReadOnlyList<ItemRejection> Refused { get; init; } = [];
}

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
    /// <summary>What the request holds in memory while it waits, roughly: two bytes a character and a fixed cost an item.</summary>
    internal long Bytes { get; } = EstimateBytes(events, quarantine, exposures ?? []);
    /// <summary>Only exposures: the work that gives way first when the queue fills.</summary>
    internal bool IsExposuresOnly => Events.Count == 0 && Quarantine.Count == 0;
    internal int Accepted;
    internal int Duplicates;
    internal readonly List<ItemRejection> Refused = [];
    internal readonly TaskCompletionSource<WriteResult> Completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public Task<WriteResult> Task => Completion.Task;

    private const int ItemOverheadBytes = 96;

    private static long EstimateBytes(IReadOnlyList<ValidEvent> events, IReadOnlyList<QuarantineItem> quarantine, IReadOnlyList<ExposureItem> exposures)
    {
        long chars = 0;
        foreach (var e in events) chars += e.UserKey.Length + (e.Name?.Length ?? 0) + e.PropertiesJson.Length + (e.TraitsJson?.Length ?? 0) + e.MessageId.Length;
        foreach (var q in quarantine) chars += (q.EventName?.Length ?? 0) + q.Reason.Length + q.Payload.Length;
        foreach (var x in exposures) chars += x.ExperimentKey.Length + x.FlagKey.Length + x.UserKey.Length + x.Variant.Length;
        return 2 * chars + ItemOverheadBytes * (long)(events.Count + quarantine.Count + exposures.Count);
    }
}

/// <summary>
/// The single writer of events. Requests wait in a queue bounded by the items and by the bytes it
/// holds; when it is full, <see cref="TryEnqueue"/> says no and the endpoint answers 503 with
/// Retry-After. Flag exposures have a share of their own (<see cref="IngestOptions.ExposureQueueShare"/>)
/// and are refused first: once the events fill half the queue, no exposure gets in, so evaluations
/// can never starve ingest.
/// <para>
/// The writer commits many requests in one transaction (group commit) and only then completes
/// each request, so an acknowledgement means the events are in the database. It flushes when a
/// batch is full, when the flush interval has passed, and drains the queue on shutdown. Inserts
/// reuse prepared commands; nothing goes through EF change tracking.
/// </para>
/// <para>
/// A failed transaction writes nothing. When the store is busy, locked, full or failing (see
/// <see cref="StoreErrors"/>), the whole batch is tried again after a pause, up to
/// <see cref="IngestOptions.StoreRetries"/> times, and then each of its requests is answered 503:
/// splitting would not help and would only multiply the waits. Only an error of the data itself
/// splits the batch in halves, until the request that causes it stands alone, so the others are
/// committed; that request fails with <see cref="StoreRejectedException"/>, since sending it again
/// would fail the same way. A request is committed at most once, with its quarantine rows.
/// </para>
/// </summary>
public sealed class EventWriter : BackgroundService
{
    private readonly Channel<WriteRequest> _queue = Channel.CreateUnbounded<WriteRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IngestOptions _options;
    private readonly DatabaseLocation _database;
    private readonly IngestNotifier _notifier;
    private readonly ILogger<EventWriter> _logger;
    private readonly TimeProvider _clock;
    private readonly object _gate = new();
    private Load _queued, _queuedExposures;

    /// <summary>Items and bytes waiting for a commit.</summary>
    private record struct Load(int Items, long Bytes)
    {
        public static Load Of(WriteRequest r) => new(r.Weight, r.Bytes);
        public static Load operator +(Load a, Load b) => new(a.Items + b.Items, a.Bytes + b.Bytes);
        public static Load operator -(Load a, Load b) => new(a.Items - b.Items, a.Bytes - b.Bytes);
        public bool Exceeds(int items, long bytes) => Items > items || Bytes > bytes;
    }

    // Observable with dotnet-counters: `dotnet-counters monitor -n Dashboard --counters Dashboard.Ingest`.
    private static readonly Meter Meter = new("Dashboard.Ingest");
    private static readonly Counter<long> CommittedEvents = Meter.CreateCounter<long>("dashboard.ingest.committed_events");
    private static readonly Histogram<int> BatchRequests = Meter.CreateHistogram<int>("dashboard.ingest.batch_requests");
    private static readonly Histogram<double> CommitMs = Meter.CreateHistogram<double>("dashboard.ingest.batch_write_ms");
    private static readonly Counter<long> RetriedBatches = Meter.CreateCounter<long>("dashboard.ingest.retried_batches");

    public EventWriter(IOptions<IngestOptions> options, DatabaseLocation database, IngestNotifier notifier,
        ILogger<EventWriter> logger, TimeProvider clock)
    {
        _options = options.Value;
        _database = database;
        _notifier = notifier;
        _logger = logger;
        _clock = clock;
    }

    /// <summary>Items (events, quarantined items, exposures) currently waiting for a commit.</summary>
    public int QueuedEvents
    {
        get { lock (_gate) return _queued.Items; }
    }

    /// <summary>The estimated memory of what is waiting for a commit.</summary>
    public long QueuedBytes
    {
        get { lock (_gate) return _queued.Bytes; }
    }

    /// <summary>Number of transactions committed, for tests and diagnostics.</summary>
    public long Commits { get; private set; }

    public bool TryEnqueue(WriteRequest request)
    {
        var load = Load.Of(request);
        lock (_gate)
        {
            if (!HasRoom(request, load)) return false;
            _queued += load;
            if (request.IsExposuresOnly) _queuedExposures += load;
        }
        if (_queue.Writer.TryWrite(request)) return true;
        Release(request); // shutting down
        return false;
    }

    private bool HasRoom(WriteRequest request, Load load)
    {
        int items = _options.QueueCapacity;
        long bytes = _options.QueueCapacityBytes;
        if (request.IsExposuresOnly)
        {
            var events = _queued - _queuedExposures;
            return !(_queuedExposures + load).Exceeds((int)(items * _options.ExposureQueueShare), (long)(bytes * _options.ExposureQueueShare))
                && !events.Exceeds(items / 2, bytes / 2);
        }
        // Exposures never count against the events' room. A request bigger than the whole queue
        // (a small configured capacity) gets in when nothing else waits, so it is never refused forever.
        var after = _queued - _queuedExposures + load;
        return !after.Exceeds(items, bytes) || _queued.Items == 0;
    }

    private void Release(WriteRequest request)
    {
        var load = Load.Of(request);
        lock (_gate)
        {
            _queued -= load;
            if (request.IsExposuresOnly) _queuedExposures -= load;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Stop taking requests, then let ExecuteAsync drain what is queued.
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var store = new BatchStore(_database.ConnectionString, _options.Synchronous, _options.BusyTimeoutMs,
            () => _database.MaxPageCount);
        var batch = new List<WriteRequest>();
        var reader = _queue.Reader;
        // The loop ends only when the queue is completed and empty, so nothing acknowledged-to-be is dropped.
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            await FillBatchAsync(reader, batch);
            if (batch.Count == 0) continue;
            try
            {
                await WriteAsync(store, batch);
            }
            finally
            {
                foreach (var r in batch) Release(r);
                batch.Clear();
            }
        }
    }

    /// <summary>Writes the requests in one transaction, retrying the whole of it when the store is unavailable and splitting it on bad data.</summary>
    private async Task WriteAsync(BatchStore store, List<WriteRequest> batch)
    {
        var started = Stopwatch.GetTimestamp();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                store.Write(batch);
                break;
            }
            catch (Exception ex) when (StoreErrors.IsUnavailable(ex))
            {
                if (attempt >= _options.StoreRetries)
                {
                    _logger.LogError(ex, "The store stayed unavailable for a batch of {Requests} requests after {Attempts} attempts", batch.Count, attempt + 1);
                    foreach (var r in batch) Fail(r, new StoreUnavailableException(ex));
                    return;
                }
                var pause = StoreErrors.Backoff(attempt);
                _logger.LogWarning(ex, "The store is unavailable; writing a batch of {Requests} requests again in {Pause} ms", batch.Count, pause.TotalMilliseconds);
                RetriedBatches.Add(1);
                await Task.Delay(pause, _clock);
            }
            catch (Exception ex) when (batch.Count > 1)
            {
                // One bad request must not fail the others it shared a transaction with.
                _logger.LogWarning(ex, "A batch of {Requests} requests failed on its data; writing it in halves", batch.Count);
                var half = batch.Count / 2;
                await WriteAsync(store, batch[..half]);
                await WriteAsync(store, batch[half..]);
                return;
            }
            catch (Exception ex)
            {
                Fail(batch[0], new StoreRejectedException(ex));
                return;
            }
        }
        Committed(batch, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Answers the committed requests; nothing here can send them to the store again.</summary>
    private void Committed(List<WriteRequest> batch, TimeSpan took)
    {
        Commits++;
        foreach (var r in batch) r.Completion.TrySetResult(new WriteResult(r.Accepted, r.Duplicates) { Refused = r.Refused.Count == 0 ? [] : [.. r.Refused] });
        try
        {
            CommitMs.Record(took.TotalMilliseconds);
            BatchRequests.Record(batch.Count);
            var accepted = batch.Sum(r => r.Accepted);
            CommittedEvents.Add(accepted);
            _notifier.Publish(accepted);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Announcing a committed batch failed");
        }
    }

    private void Fail(WriteRequest request, Exception failure)
    {
        _logger.LogError(failure.InnerException, "Writing a request of {Events} events failed: {Failure}", request.Events.Count, failure.Message);
        request.Completion.TrySetException(failure);
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

/// <summary>The store refused a request for its data, not its state: the same request would fail again.</summary>
public sealed class StoreRejectedException(Exception inner) : Exception($"The event store refused the request: {inner.Message}", inner)
{
    /// <summary>The request's own values were refused (too big, a constraint), rather than the app failing on them.</summary>
    public bool IsRequestData { get; } = StoreErrors.IsRequestData(inner);
}

/// <summary>Which store errors are the store's state (worth the same batch again) rather than the data's.</summary>
public static class StoreErrors
{
    // SQLite's primary result codes: BUSY, LOCKED, NOMEM, READONLY, INTERRUPT, IOERR, FULL, CANTOPEN, PROTOCOL.
    private static readonly int[] Unavailable = [5, 6, 7, 8, 9, 10, 13, 14, 15];

    // TOOBIG, CONSTRAINT, MISMATCH: a value of the request that the schema refuses.
    private static readonly int[] RequestData = [18, 19, 20];

    public static bool IsUnavailable(Exception ex) => ex switch
    {
        Microsoft.Data.Sqlite.SqliteException s => Unavailable.Contains(s.SqliteErrorCode),
        IOException or OutOfMemoryException => true,
        _ => false,
    };

    public static bool IsRequestData(Exception ex) => ex is Microsoft.Data.Sqlite.SqliteException s && RequestData.Contains(s.SqliteErrorCode);

    /// <summary>The pause before attempt <paramref name="attempt"/> + 2: 100 ms, doubling, at most 2 s.</summary>
    public static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Math.Min(2_000, 100 << Math.Min(attempt, 5)));
}
