using Microsoft.Data.Sqlite;

namespace Dashboard.Ingest;

/// <summary>
/// The writer's connection and prepared commands. A batch is one transaction: users are upserted
/// (first/last seen, traits), events inserted with ON CONFLICT(MessageId) DO NOTHING so duplicates
/// are counted and skipped, rejected items go to the quarantine, and per-name totals are kept.
/// Flag exposures create their user when new (without moving first or last seen) and are inserted
/// with ON CONFLICT DO NOTHING on (ExperimentKey, UserId), so a user's first exposure stays.
/// </summary>
internal sealed class BatchStore : IAsyncDisposable, IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly int _commandTimeoutSeconds;
    private readonly SqliteCommand _upsertUser, _insertEvent, _insertQuarantine, _upsertStat, _insertExposure;

    public BatchStore(string connectionString, string synchronous, int busyTimeoutMs = 5_000)
    {
        _commandTimeoutSeconds = Math.Max(1, (busyTimeoutMs + 999) / 1000);
        // BEGIN IMMEDIATE takes the write lock and waits with the connection's default timeout.
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { DefaultTimeout = _commandTimeoutSeconds }.ToString());
        _connection.Open();
        using (var pragma = _connection.CreateCommand())
        {
            var sync = synchronous.Equals("Normal", StringComparison.OrdinalIgnoreCase) ? "NORMAL" : "FULL";
            // A 64 MB page cache keeps the upper levels of the random-keyed indexes (MessageId, Users.Key) in memory.
            pragma.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous={sync}; PRAGMA busy_timeout={Math.Max(0, busyTimeoutMs)}; " +
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
        _insertExposure = Prepare("""
            INSERT INTO Exposures (ExperimentKey, FlagKey, UserId, Variant, Timestamp) VALUES ($p0, $p1, $p2, $p3, $p4)
            ON CONFLICT (ExperimentKey, UserId) DO NOTHING
            """, 5);
    }

    /// <summary>A command whose parameters are $p0..$p(n-1), set by position on every use.</summary>
    private SqliteCommand Prepare(string sql, int parameters)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        // The driver itself retries a busy statement until this many seconds have passed; past it the
        // writer decides (EventWriter retries the whole batch).
        cmd.CommandTimeout = _commandTimeoutSeconds;
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
        foreach (var cmd in new[] { _upsertUser, _insertEvent, _insertQuarantine, _upsertStat, _insertExposure }) cmd.Transaction = tx;

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
        // An exposure only makes sure its user exists: like an identify without traits.
        foreach (var r in batch)
        foreach (var x in r.Exposures)
        {
            users.TryGetValue(x.UserKey, out var f);
            f = f.Traits is null ? new UserFacts("{}", null, null, null) : f;
            users[x.UserKey] = f with { Identified = Min(f.Identified, x.Timestamp) };
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
            foreach (var x in r.Exposures)
            {
                Set(_insertExposure, x.ExperimentKey, x.FlagKey, ids[x.UserKey], x.Variant, x.Timestamp);
                _insertExposure.ExecuteNonQuery();
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
        foreach (var cmd in new[] { _upsertUser, _insertEvent, _insertQuarantine, _upsertStat, _insertExposure }) cmd.Dispose();
        _connection.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
