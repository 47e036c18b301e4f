using System.Data.Common;
using Dashboard.Rollups;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Dashboard.Analytics.Funnels;

/// <summary>
/// The funnel's events read from the packed timestamps (EventTimes) and the events above their
/// watermark, for steps without conditions: they carry no event ids or properties, so one event is
/// told from another by its position.
/// </summary>
internal sealed class FunnelPackedReader(IDbContextFactory<DashboardDbContext> dbFactory)
{
    /// <summary>Identities per chunk of the packed read: 64 EventTimes blocks.</summary>
    private const int ChunkUsers = 64 * EventTimes.BlockSize;

    /// <summary>
    /// The funnel from the packed timestamps, user by user instead of time by time: identities are
    /// cut in chunks of whole EventTimes blocks, and workers, each in one read transaction of its
    /// own (so the packed rows at or under the watermark and the raw events above it meet exactly),
    /// take chunks in turn and match each chunk's users alone. Within a chunk the first step's
    /// events come first and name the starters and their windows; the other names skip everyone
    /// else without unpacking their timestamps. The chunks run to the highest identity any
    /// worker's snapshot holds, so one that started later and sees newer identities reads them too.
    /// </summary>
    public async Task<List<UserReach>> MatchAsync(List<FunnelStepSpec> names, int[] stepName, int[] blockers, FunnelRange range,
        CancellationToken ct)
    {
        var (next, chunks) = (-1, 0);
        var found = await Task.WhenAll(Enumerable.Range(0, Rollup.ReadWorkers).Select(_ => Task.Run(async () =>
        {
            var reached = new List<UserReach>();
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await using var snapshot = await Rollup.BeginSnapshotAsync(db, ct);
            using var reader = new ChunkReader(db.Database.GetDbConnection(), snapshot.GetDbTransaction(), names, range);
            for (var seen = Volatile.Read(ref chunks); seen < reader.Chunks; seen = Volatile.Read(ref chunks))
                Interlocked.CompareExchange(ref chunks, reader.Chunks, seen);
            // Claim the next chunk only while it is below the count: a claimed chunk is always read.
            while (Volatile.Read(ref next) is var last && last + 1 < Volatile.Read(ref chunks))
            {
                if (Interlocked.CompareExchange(ref next, last + 1, last) != last) continue;
                var chunk = last + 1;
                ct.ThrowIfCancellationRequested();
                var perName = reader.Read(chunk);
                var firstUser = (long)chunk * ChunkUsers;
                FunnelMatcher.MatchUsers(perName, stepName, blockers, ChunkUsers, u => firstUser + u, range, ids: false, null, reached);
            }
            return reached;
        }, ct)));
        return [.. found.SelectMany(r => r)];
    }

    /// <summary>One worker's reads of the packed timestamps, chunk by chunk, on one connection and transaction.</summary>
    private sealed class ChunkReader : IDisposable
    {
        private readonly List<DbCommand> _commands = [];
        private readonly FunnelRange _range;
        /// <summary>Per name, the chunk's events: reused from chunk to chunk.</summary>
        private readonly (int[] Starts, int[] Ends, long[] Ts)[] _buffers;
        /// <summary>Starters' windows [first start, last start + W]; long.MaxValue for the chunk's other users.</summary>
        private readonly long[] _lo = new long[ChunkUsers];
        private readonly long[] _hi = new long[ChunkUsers];
        private readonly List<byte[]> _rows = [];
        private readonly HashSet<int> _unsorted = [];
        /// <summary>The events above the watermark, per chunk: name index, UserId, timestamp.</summary>
        private readonly Dictionary<long, List<(int Name, long UserId, long Ts)>> _tail = [];

        /// <summary>Chunks up to the highest identity in this reader's snapshot.</summary>
        public readonly int Chunks;

        public ChunkReader(DbConnection connection, DbTransaction transaction, List<FunnelStepSpec> names, FunnelRange range)
        {
            _range = range;
            _buffers = names.Select(_ => (new int[ChunkUsers], new int[ChunkUsers], new long[1024])).ToArray();
            var weeks = Enumerable.Range(0, (int)(EventTimes.WeekOf(range.ReadEndMs - 1) - EventTimes.WeekOf(range.FromMs) + 1))
                .Select(i => EventTimes.WeekOf(range.FromMs) + i).ToList();
            foreach (var name in names)
            {
                var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                // One seek per week, each over the chunk's blocks (primary key Name, Week, Block).
                cmd.CommandText = $"""
                    SELECT "Times" FROM "{EventTimes.Table}"
                    WHERE "Name" = $name AND "Week" IN ({string.Join(", ", weeks.Select((_, i) => $"$w{i}"))}) AND "Block" BETWEEN $b0 AND $b1
                    """;
                EventRanges.Add(cmd, "$name", name.Event);
                for (var i = 0; i < weeks.Count; i++) EventRanges.Add(cmd, $"$w{i}", weeks[i]);
                EventRanges.Add(cmd, "$b0", 0L);
                EventRanges.Add(cmd, "$b1", 0L);
                _commands.Add(cmd);
            }

            using (var users = connection.CreateCommand())
            {
                users.Transaction = transaction;
                users.CommandText = """SELECT COALESCE(MAX("Id"), -1) FROM "Users" """;
                Chunks = (int)((long)users.ExecuteScalar()! / ChunkUsers) + 1;
            }

            EventTimes.ReadTail(connection, transaction, names.Select(n => n.Event).ToList(), range.FromMs, range.ReadEndMs, (name, user, ts) =>
            {
                var chunk = user / ChunkUsers;
                if (!_tail.TryGetValue(chunk, out var list)) _tail[chunk] = list = [];
                list.Add((name, user, ts));
            });
        }

        /// <summary>The chunk's events per name, users as indexes from the chunk's first identity; other names only starters' events in their windows.</summary>
        public FunnelEvents[] Read(int chunk)
        {
            var perName = new FunnelEvents[_buffers.Length];
            perName[0] = ReadName(0, chunk, windowed: false);
            // Starters: a first-step event before End; their window runs from the first start to W after the last.
            var s1 = perName[0];
            for (var u = 0; u < ChunkUsers; u++)
            {
                (_lo[u], _hi[u]) = (long.MaxValue, long.MinValue);
                for (var p = s1.Starts[u]; p < s1.Ends[u] && s1.Ts[p] < _range.EndMs; p++)
                    (_lo[u], _hi[u]) = (Math.Min(_lo[u], s1.Ts[p]), s1.Ts[p] + _range.WindowMs);
            }
            for (var n = 1; n < _buffers.Length; n++)
                perName[n] = ReadName(n, chunk, windowed: true);
            return perName;
        }

        /// <summary>
        /// One name's events of the chunk, straight into place: a first pass over the packed rows
        /// counts each wanted user's timestamps (an upper bound, before the range and window), a
        /// second unpacks them into the user's slots. Rows come week by week, so a user's times
        /// arrive in order but for late events above the watermark; those users are sorted after.
        /// </summary>
        private FunnelEvents ReadName(int name, int chunk, bool windowed)
        {
            var (starts, ends, ts) = _buffers[name];
            var firstUser = (long)chunk * ChunkUsers;
            var cmd = _commands[name];
            cmd.Parameters["$b0"].Value = (long)chunk * (ChunkUsers / EventTimes.BlockSize);
            cmd.Parameters["$b1"].Value = (long)(chunk + 1) * (ChunkUsers / EventTimes.BlockSize) - 1;
            _rows.Clear();
            using (var reader = cmd.ExecuteReader())
                while (reader.Read())
                    _rows.Add(reader.GetFieldValue<byte[]>(0));
            var tail = _tail.TryGetValue(chunk, out var t) ? t.Where(e => e.Name == name).ToList() : [];
            var lo = windowed ? _lo : null;

            Array.Clear(ends);
            var counter = new ChunkCounter(ends, firstUser, lo);
            foreach (var row in _rows) EventTimes.Decode(row, ref counter);
            foreach (var e in tail)
                if (counter.Wanted(e.UserId)) ends[e.UserId - firstUser]++;
            var total = 0;
            for (var u = 0; u < ChunkUsers; u++) (starts[u], ends[u], total) = (total, total, total + ends[u]);
            if (ts.Length < total) _buffers[name].Ts = ts = new long[Math.Max(total, ts.Length * 2)];

            var filler = new ChunkFiller(starts, ends, ts, firstUser, _range, lo, _hi, _unsorted);
            foreach (var row in _rows) EventTimes.Decode(row, ref filler);
            foreach (var e in tail)
                if (filler.User(e.UserId, [])) filler.Add(e.Ts);
            foreach (var u in _unsorted) Array.Sort(ts, starts[u], ends[u] - starts[u]);
            _unsorted.Clear();
            return new FunnelEvents(starts, ends, ts, []);
        }

        public void Dispose()
        {
            foreach (var cmd in _commands) cmd.Dispose();
        }
    }

    /// <summary>Counts each wanted user's packed timestamps of a chunk into <paramref name="counts"/>, unpacking none.</summary>
    private readonly struct ChunkCounter(int[] counts, long firstUser, long[]? lo) : EventTimes.ISink
    {
        /// <summary>Every user for the first step; starters only for the others.</summary>
        public bool Wanted(long userId) => lo is null || lo[userId - firstUser] != long.MaxValue;

        public bool User(long userId, ReadOnlySpan<byte> times)
        {
            if (Wanted(userId)) counts[userId - firstUser] += EventTimes.Count(times);
            return false;
        }

        public void Add(long timestamp) { }
    }

    /// <summary>
    /// Unpacks the timestamps of a chunk's wanted users into their slots: those in the read range
    /// and, with windows (<paramref name="lo"/>, <paramref name="hi"/>), inside the starter's window.
    /// </summary>
    private struct ChunkFiller(int[] starts, int[] ends, long[] ts, long firstUser, FunnelRange range, long[]? lo, long[] hi,
        HashSet<int> unsorted) : EventTimes.ISink
    {
        private int _user;

        public bool User(long userId, ReadOnlySpan<byte> times)
        {
            _user = (int)(userId - firstUser);
            return lo is null || lo[_user] != long.MaxValue;
        }

        public readonly void Add(long timestamp)
        {
            if (timestamp < range.FromMs || timestamp >= range.ReadEndMs) return;
            if (lo is not null && (timestamp < lo[_user] || timestamp > hi[_user])) return;
            var at = ends[_user]++;
            if (at > starts[_user] && timestamp < ts[at - 1]) unsorted.Add(_user);
            ts[at] = timestamp;
        }
    }
}
