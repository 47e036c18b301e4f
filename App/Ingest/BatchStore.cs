using Dashboard.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Ingest;

/// <summary>
/// The writer's connection and prepared commands. A batch is one transaction: users are upserted
/// (first/last seen, traits), events inserted with ON CONFLICT(MessageId) DO NOTHING so duplicates
/// are counted and skipped, rejected items go to the quarantine, and per-name totals are kept.
/// Flag exposures create their user when new (without moving first or last seen) and are inserted
/// with ON CONFLICT DO NOTHING on (ExperimentKey, UserId), so a user's first exposure stays.
/// Group calls upsert their account and set the user's account. Identify calls that name an
/// anonymous id, and alias calls, merge it into the user (<see cref="IdentityMerge"/>) after the
/// batch's events are in, so the events the batch brought under the anonymous id move too; a key
/// merged into a user stands for that user in every later write.
/// </summary>
internal sealed class BatchStore : IAsyncDisposable, IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly int _commandTimeoutSeconds;
    private readonly SqliteCommand _upsertUser, _insertEvent, _insertQuarantine, _upsertStat, _insertExposure, _touchUser, _upsertAccount, _setAccount;
    private readonly DbContextOptions<DashboardDbContext> _contextOptions;

    private readonly Func<long?>? _maxPageCount;
    private long? _appliedMaxPageCount;

    /// <param name="maxPageCount">The store's size limit, read before each batch (see <see cref="SqliteSizeLimit"/>); null: none.</param>
    public BatchStore(string connectionString, string synchronous, int busyTimeoutMs = 5_000, Func<long?>? maxPageCount = null)
    {
        _maxPageCount = maxPageCount;
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
            INSERT INTO Users (Key, Traits, FirstSeen, LastSeen, Known) VALUES ($p0, $p1, coalesce($p2, $p4), coalesce($p3, $p4), $p5)
            ON CONFLICT (Key) DO UPDATE SET
              Traits = CASE WHEN excluded.Traits = '{}' THEN Users.Traits ELSE json_patch(Users.Traits, excluded.Traits) END,
              FirstSeen = coalesce(min(Users.FirstSeen, $p2), Users.FirstSeen),
              LastSeen = coalesce(max(Users.LastSeen, $p3), Users.LastSeen),
              Known = Users.Known OR excluded.Known
            RETURNING Id, FirstSeen, LastSeen, Known, MergedInto
            """, 6);
        // What arrives under a merged key is the user's: their first/last seen and traits move too.
        _touchUser = Prepare("""
            UPDATE Users SET
              Traits = CASE WHEN $p1 = '{}' THEN Traits ELSE json_patch(Traits, $p1) END,
              FirstSeen = coalesce(min(FirstSeen, $p2), FirstSeen),
              LastSeen = coalesce(max(LastSeen, $p3), LastSeen)
            WHERE Id = $p0
            """, 4);
        _upsertAccount = Prepare("""
            INSERT INTO Accounts (Key, Traits, FirstSeen, UpdatedAt) VALUES ($p0, $p1, $p2, $p2)
            ON CONFLICT (Key) DO UPDATE SET
              Traits = CASE WHEN excluded.Traits = '{}' THEN Accounts.Traits ELSE json_patch(Accounts.Traits, excluded.Traits) END,
              FirstSeen = min(Accounts.FirstSeen, excluded.FirstSeen),
              UpdatedAt = max(Accounts.UpdatedAt, excluded.UpdatedAt)
            RETURNING Id
            """, 3);
        _setAccount = Prepare("UPDATE Users SET AccountId = $p1 WHERE Id = $p0", 2);
        _contextOptions = new DbContextOptionsBuilder<DashboardDbContext>().UseSqlite(_connection).Options;
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
    private readonly record struct UserFacts(string Traits, long? First, long? Last, long? Identified, bool Known);

    /// <summary>A user row as written: <see cref="Id"/> is the row's own, <see cref="Into"/> the user it stands for (its merge target, else itself).</summary>
    private readonly record struct KnownUser(long Id, long? First, long? Last, bool Known, long? MergedInto)
    {
        public long Into => MergedInto ?? Id;
    }

    private SqliteCommand[] Commands => [_upsertUser, _insertEvent, _insertQuarantine, _upsertStat, _insertExposure, _touchUser, _upsertAccount, _setAccount];

    /// <summary>LastSeen is written when it moves by more than this; it may lag the newest event by up to a minute.</summary>
    private const long LastSeenResolutionMs = 60_000;
    private const int MaxKnownUsers = 1_000_000;

    // What this connection last wrote for each user, so a returning user costs no write unless
    // their first/last seen moved or traits arrived. Only this writer changes these columns.
    private readonly Dictionary<string, KnownUser> _known = new(StringComparer.Ordinal);

    public void Write(List<WriteRequest> batch)
    {
        if (_maxPageCount?.Invoke() is var limit && limit != _appliedMaxPageCount)
        {
            SqliteSizeLimit.Set(_connection, limit);
            _appliedMaxPageCount = limit;
        }
        using var tx = _connection.BeginTransaction();
        foreach (var cmd in Commands) cmd.Transaction = tx;

        // One upsert per distinct user in the batch, with the batch's first and last seen and merged traits.
        var users = new Dictionary<string, UserFacts>(StringComparer.Ordinal);
        void Note(string key, Func<UserFacts, UserFacts> change)
        {
            users.TryGetValue(key, out var f);
            users[key] = change(f.Traits is null ? new UserFacts("{}", null, null, null, false) : f);
        }
        foreach (var r in batch)
        foreach (var e in r.Events)
        {
            var known = !e.Anonymous;
            Note(e.UserKey, f => e.Type switch
            {
                MessageType.Identify => f with { Traits = JsonText.Patch(f.Traits, e.TraitsJson), Identified = Min(f.Identified, e.Timestamp), Known = f.Known || known },
                // Group and alias name their user without an event: like an identify without traits.
                MessageType.Group or MessageType.Alias => f with { Identified = Min(f.Identified, e.Timestamp), Known = f.Known || known },
                _ => f with { First = Min(f.First, e.Timestamp), Last = Max(f.Last, e.Timestamp), Known = f.Known || known },
            });
            // The anonymous id to merge exists as a row, so later events under it find the user.
            if (e.MergeKey is { } merge) Note(merge, f => f with { Identified = Min(f.Identified, e.Timestamp) });
        }
        // An exposure only makes sure its user exists: like an identify without traits.
        foreach (var r in batch)
        foreach (var x in r.Exposures)
            Note(x.UserKey, f => f with { Identified = Min(f.Identified, x.Timestamp) });

        var rows = new Dictionary<string, KnownUser>(users.Count, StringComparer.Ordinal);
        if (_known.Count > MaxKnownUsers) _known.Clear();
        var written = new List<(string Key, KnownUser User)>();
        foreach (var (key, facts) in users)
        {
            if (_known.TryGetValue(key, out var known) && facts.Traits == "{}" && (known.Known || !facts.Known)
                && (facts.First is null || known.First <= facts.First)
                && (facts.Last is null || known.Last >= facts.Last - LastSeenResolutionMs))
            {
                rows[key] = known;
                continue;
            }
            Set(_upsertUser, key, facts.Traits, facts.First, facts.Last, facts.Identified, facts.Known);
            KnownUser user;
            using (var reader = _upsertUser.ExecuteReader())
            {
                reader.Read();
                user = new KnownUser(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetInt64(2),
                    reader.GetBoolean(3), reader.IsDBNull(4) ? null : reader.GetInt64(4));
            }
            if (user.MergedInto is { } into)
            {
                Set(_touchUser, into, facts.Traits, facts.First, facts.Last);
                _touchUser.ExecuteNonQuery();
            }
            rows[key] = user;
            written.Add((key, user));
        }

        var stats = new Dictionary<string, (long Count, long Last)>(StringComparer.Ordinal);
        var merges = new List<(WriteRequest Request, ValidEvent Event)>();
        foreach (var r in batch)
        {
            r.Accepted = r.Duplicates = 0; // a retried request counts afresh
            r.Refused.Clear();
            foreach (var e in r.Events)
            {
                switch (e.Type)
                {
                    case MessageType.Identify or MessageType.Alias when e.MergeKey is not null:
                        merges.Add((r, e));
                        continue;
                    case MessageType.Identify or MessageType.Alias:
                        r.Accepted++;
                        continue;
                    case MessageType.Group:
                        Set(_upsertAccount, e.GroupKey, e.TraitsJson ?? "{}", e.Timestamp);
                        Set(_setAccount, rows[e.UserKey].Into, _upsertAccount.ExecuteScalar());
                        _setAccount.ExecuteNonQuery();
                        r.Accepted++;
                        continue;
                }
                Set(_insertEvent, e.MessageId, e.Name, rows[e.UserKey].Into, e.Timestamp, r.ReceivedAt, e.PropertiesJson);
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
                Set(_insertExposure, x.ExperimentKey, x.FlagKey, rows[x.UserKey].Into, x.Variant, x.Timestamp);
                _insertExposure.ExecuteNonQuery();
            }
        }
        foreach (var (name, s) in stats)
        {
            Set(_upsertStat, name, s.Count, s.Last);
            _upsertStat.ExecuteNonQuery();
        }
        if (merges.Count > 0) Merge(tx, merges, rows);
        tx.Commit();
        foreach (var (key, user) in written) _known[key] = user; // only once the values are committed
        foreach (var (key, user) in rows) if (user.MergedInto is not null) _known[key] = user;
    }

    /// <summary>The batch's merges, in order; each one refused by <see cref="IdentityMerge.Refusal"/> is reported on its item.</summary>
    private void Merge(SqliteTransaction tx, List<(WriteRequest Request, ValidEvent Event)> merges, Dictionary<string, KnownUser> rows)
    {
        // Most identify calls repeat a merge already made (analytics.js sends one per page load): no context for those.
        DashboardDbContext? db = null;
        try
        {
            foreach (var (r, e) in merges) MergeOne(tx, r, e, rows, ref db);
        }
        finally
        {
            db?.Dispose();
        }
    }

    private void MergeOne(SqliteTransaction tx, WriteRequest r, ValidEvent e, Dictionary<string, KnownUser> rows, ref DashboardDbContext? db)
    {
        var (source, target) = (rows[e.MergeKey!], rows[e.UserKey].Into);
        if (IdentityMerge.Refusal(e.MergeKey!, source.Known, source.MergedInto, target) is { } refusal)
        {
            var kept = e.Type == MessageType.Identify && e.TraitsJson is not null and not "{}" ? " (the traits were stored)" : "";
            r.Refused.Add(new ItemRejection(e.Index, RejectionCodes.MergeRefused, refusal + kept));
            return;
        }
        if (source.MergedInto is null && source.Id != target)
        {
            if (db is null)
            {
                db = new DashboardDbContext(_contextOptions);
                db.Database.UseTransaction(tx);
            }
            IdentityMerge.MergeAsync(db, source.Id, target, CancellationToken.None).GetAwaiter().GetResult();
            rows[e.MergeKey!] = source with { MergedInto = target };
            db.ChangeTracker.Clear();
        }
        r.Accepted++;
    }

    private static long? Min(long? a, long b) => a is { } x ? Math.Min(x, b) : b;
    private static long? Max(long? a, long b) => a is { } x ? Math.Max(x, b) : b;

    public void Dispose()
    {
        foreach (var cmd in Commands) cmd.Dispose();
        _connection.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
