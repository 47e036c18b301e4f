using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Dashboard.Data;
using Dashboard.Live;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Dashboard.Ingest;

public sealed record WriteResult(int Accepted, int Duplicates);

/// <summary>One request's worth of work for the writer; completed after its transaction commits.</summary>
public sealed class WriteRequest(IReadOnlyList<ValidEvent> events, IReadOnlyList<QuarantineItem> quarantine, long receivedAt)
{
    public IReadOnlyList<ValidEvent> Events { get; } = events;
    public IReadOnlyList<QuarantineItem> Quarantine { get; } = quarantine;
    public long ReceivedAt { get; } = receivedAt;
    internal int Weight => Math.Max(1, Events.Count + Quarantine.Count);
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

/// <summary>
/// The writer's connection and prepared commands. A batch is one transaction: users are upserted
/// (first/last seen, traits), events inserted with ON CONFLICT(MessageId) DO NOTHING so duplicates
/// are counted and skipped, rejected items go to the quarantine, and per-name totals are kept.
/// </summary>
internal sealed class BatchStore : IAsyncDisposable, IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _upsertUser, _insertEvent, _insertQuarantine, _upsertStat;

    public BatchStore(string connectionString, string synchronous)
    {
        _connection = new SqliteConnection(connectionString);
        _connection.Open();
        using (var pragma = _connection.CreateCommand())
        {
            var sync = synchronous.Equals("Normal", StringComparison.OrdinalIgnoreCase) ? "NORMAL" : "FULL";
            // A 64 MB page cache keeps the upper levels of the random-keyed indexes (MessageId, Users.Key) in memory.
            pragma.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous={sync}; PRAGMA busy_timeout=5000; " +
                                 "PRAGMA cache_size=-65536;";
            pragma.ExecuteNonQuery();
        }
        _upsertUser = Prepare("""
            INSERT INTO Users (Key, Traits, FirstSeen, LastSeen) VALUES ($p0, $p1, coalesce($p2, $p4), coalesce($p3, $p4))
            ON CONFLICT (Key) DO UPDATE SET
              Traits = CASE WHEN excluded.Traits = '{}' THEN Users.Traits ELSE json_patch(Users.Traits, excluded.Traits) END,
              FirstSeen = coalesce(min(Users.FirstSeen, $p2), Users.FirstSeen),
              LastSeen = coalesce(max(Users.LastSeen, $p3), Users.LastSeen)
            RETURNING Id, FirstSeen, LastSeen
            """, 5);
        _insertEvent = Prepare("""
            INSERT INTO Events (MessageId, Name, UserId, Timestamp, ReceivedAt, Properties)
            VALUES ($p0, $p1, $p2, $p3, $p4, $p5) ON CONFLICT (MessageId) DO NOTHING
            """, 6);
        _insertQuarantine = Prepare("INSERT INTO Quarantine (ReceivedAt, EventName, Reason, Payload) VALUES ($p0, $p1, $p2, $p3)", 4);
        _upsertStat = Prepare("""
            INSERT INTO EventStats (Name, Count, LastSeen) VALUES ($p0, $p1, $p2)
            ON CONFLICT (Name) DO UPDATE SET Count = EventStats.Count + excluded.Count, LastSeen = max(EventStats.LastSeen, excluded.LastSeen)
            """, 3);
    }

    /// <summary>A command whose parameters are $p0..$p(n-1), set by position on every use.</summary>
    private SqliteCommand Prepare(string sql, int parameters)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        for (var i = 0; i < parameters; i++) cmd.Parameters.Add(new SqliteParameter($"$p{i}", null));
        cmd.Prepare();
        return cmd;
    }

    private static void Set(SqliteCommand cmd, params ReadOnlySpan<object?> values)
    {
        for (var i = 0; i < values.Length; i++) cmd.Parameters[i].Value = values[i] ?? DBNull.Value;
    }

    // First/Last come from track events only; a user known so far only by identify starts at its time
    // (the columns are NOT NULL), and an identify never moves an existing user's first or last seen.
    private readonly record struct UserFacts(string Traits, long? First, long? Last, long? Identified);

    private readonly record struct KnownUser(long Id, long? First, long? Last);

    /// <summary>LastSeen is written when it moves by more than this; it may lag the newest event by up to a minute.</summary>
    private const long LastSeenResolutionMs = 60_000;
    private const int MaxKnownUsers = 1_000_000;

    // What this connection last wrote for each user, so a returning user costs no write unless
    // their first/last seen moved or traits arrived. Only this writer changes these columns.
    private readonly Dictionary<string, KnownUser> _known = new(StringComparer.Ordinal);

    public void Write(List<WriteRequest> batch)
    {
        using var tx = _connection.BeginTransaction();
        foreach (var cmd in new[] { _upsertUser, _insertEvent, _insertQuarantine, _upsertStat }) cmd.Transaction = tx;

        // One upsert per distinct user in the batch, with the batch's first and last seen and merged traits.
        var users = new Dictionary<string, UserFacts>(StringComparer.Ordinal);
        foreach (var r in batch)
        foreach (var e in r.Events)
        {
            users.TryGetValue(e.UserKey, out var f);
            f = f.Traits is null ? new UserFacts("{}", null, null, null) : f;
            users[e.UserKey] = e.Type == MessageType.Identify
                ? f with { Traits = f.Traits == "{}" ? e.TraitsJson ?? "{}" : MergeTraits(f.Traits, e.TraitsJson), Identified = Min(f.Identified, e.Timestamp) }
                : f with { First = Min(f.First, e.Timestamp), Last = Max(f.Last, e.Timestamp) };
        }
        var ids = new Dictionary<string, long>(users.Count, StringComparer.Ordinal);
        if (_known.Count > MaxKnownUsers) _known.Clear();
        var written = new List<(string Key, KnownUser User)>();
        foreach (var (key, facts) in users)
        {
            if (_known.TryGetValue(key, out var known) && facts.Traits == "{}"
                && (facts.First is null || known.First <= facts.First)
                && (facts.Last is null || known.Last >= facts.Last - LastSeenResolutionMs))
            {
                ids[key] = known.Id;
                continue;
            }
            Set(_upsertUser, key, facts.Traits, facts.First, facts.Last, facts.Identified);
            using var reader = _upsertUser.ExecuteReader();
            reader.Read();
            var user = new KnownUser(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetInt64(2));
            ids[key] = user.Id;
            written.Add((key, user));
        }

        var stats = new Dictionary<string, (long Count, long Last)>(StringComparer.Ordinal);
        foreach (var r in batch)
        {
            r.Accepted = r.Duplicates = 0; // a retried request counts afresh
            foreach (var e in r.Events)
            {
                if (e.Type == MessageType.Identify) { r.Accepted++; continue; }
                Set(_insertEvent, e.MessageId, e.Name, ids[e.UserKey], e.Timestamp, r.ReceivedAt, e.PropertiesJson);
                if (_insertEvent.ExecuteNonQuery() == 0) { r.Duplicates++; continue; }
                r.Accepted++;
                stats.TryGetValue(e.Name!, out var s);
                stats[e.Name!] = (s.Count + 1, Math.Max(s.Last, e.Timestamp));
            }
            foreach (var q in r.Quarantine)
            {
                Set(_insertQuarantine, r.ReceivedAt, q.EventName, q.Reason, q.Payload);
                _insertQuarantine.ExecuteNonQuery();
            }
        }
        foreach (var (name, s) in stats)
        {
            Set(_upsertStat, name, s.Count, s.Last);
            _upsertStat.ExecuteNonQuery();
        }
        tx.Commit();
        foreach (var (key, user) in written) _known[key] = user; // only once the values are committed
    }

    private static long? Min(long? a, long b) => a is { } x ? Math.Min(x, b) : b;
    private static long? Max(long? a, long b) => a is { } x ? Math.Max(x, b) : b;

    private static string MergeTraits(string current, string? next)
    {
        if (next is null) return current;
        var merged = System.Text.Json.Nodes.JsonNode.Parse(current)!.AsObject();
        foreach (var (k, v) in System.Text.Json.Nodes.JsonNode.Parse(next)!.AsObject()) merged[k] = v?.DeepClone();
        return merged.ToJsonString();
    }

    public void Dispose()
    {
        foreach (var cmd in new[] { _upsertUser, _insertEvent, _insertQuarantine, _upsertStat }) cmd.Dispose();
        _connection.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
