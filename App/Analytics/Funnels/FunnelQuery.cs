using System.Data.Common;
using System.Text.Json.Serialization;
using Dashboard.Data;
using Dashboard.Analytics.Rollups;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Dashboard.Analytics.Funnels;

/// <summary>What to group a funnel by: a key of the user's traits, or a property of the attempt's first-step event.</summary>
public sealed record FunnelBreakdown(FunnelBreakdownSource Source, string Key);

public enum FunnelBreakdownSource { UserTrait, FirstStepProperty }

public sealed record FunnelRequest(IReadOnlyList<string> Steps, DateOnly From, DateOnly To, TimeSpan? Window = null,
    FunnelBreakdown? Breakdown = null)
{
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(14);
}

public sealed record FunnelStep(string Event, int Users, double? ConversionFromStart, double? ConversionFromPrevious,
    double? MedianSecondsFromPrevious);

public sealed record FunnelGroup(string Value, IReadOnlyList<FunnelStep> Steps, int OpenWindowUsers);

public sealed record FunnelResult(IReadOnlyList<FunnelStep> Steps, int OpenWindowUsers,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<FunnelGroup>? Breakdown);

/// <summary>
/// Ordered funnel s1..sk with window W (default 14 days) over the inclusive UTC days [from, to].
/// Every s1 event with its timestamp in [from, to] starts an attempt. Step i+1 of an attempt is an
/// event named s(i+1) whose timestamp is at or after the attempt's step-i event and at most W after
/// the attempt's s1 event (exactly W counts); one event fills at most one step of an attempt, so
/// when s(i) = s(i+1) a second event is needed. Each step takes the earliest eligible event (by
/// timestamp, then storage order), which never reaches fewer steps than any other choice. A user
/// counts at the furthest step any attempt reached; their best attempt is the one reaching
/// furthest, the earliest s1 among ties. Per step: users who reached it, conversion from step 1
/// and from the previous step (fractions; step 1 is 1 when anyone started; null when the base is
/// 0), and the median over those users of the seconds between the previous step's event and this
/// step's event in their best attempt (the mean of the two middle values for an even count; null
/// for step 1). openWindowUsers = users whose best attempt stopped before the last step while its
/// window is still open at now (now ≤ s1 + W); they stay in the counts. A breakdown by user trait
/// puts each user in one group; by a property of the s1 event, a group holds the attempts whose s1
/// event has that value, so a user can appear in several groups. Missing values form "(none)".
/// </summary>
public sealed class FunnelQuery(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    private sealed record Reach(int Depth, long[] Times)
    {
        public long StartMs => Times[0];
    }

    /// <summary>
    /// The events of one step name, grouped by user: user u's events are the positions
    /// [Starts[u], Ends[u]) of <see cref="Ts"/> and <see cref="Ids"/>, in timestamp then
    /// storage order.
    /// </summary>
    private sealed class NameEvents(int[] starts, int[] ends, long[] ts, long[] ids)
    {
        public readonly int[] Starts = starts;
        public readonly int[] Ends = ends;
        public readonly long[] Ts = ts;
        public readonly long[] Ids = ids;
    }

    /// <summary>A user's best attempt; with a breakdown by a property of the first step's event, the best attempt per value too.</summary>
    private sealed record UserReach(long UserId, Reach Best, List<(string Value, Reach Reach)>? ByValue);

    public async Task<FunnelResult> RunAsync(FunnelRequest request, CancellationToken ct = default)
    {
        var steps = request.Steps;
        if (steps.Count < 2) throw new ArgumentException("a funnel needs at least two steps", nameof(request));
        var range = new Range(UtcCalendar.StartMs(request.From), UtcCalendar.EndMs(request.To),
            (long)(request.Window ?? FunnelRequest.DefaultWindow).TotalMilliseconds);
        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        // Steps with the same event and conditions share their events ("names" below are these).
        var specs = steps.Select(s => FunnelSteps.Parse(s, out var error) is var spec && error is null ? spec : throw new ArgumentException(error))
            .ToList();
        var names = specs.DistinctBy(s => s.Text).ToList();
        var stepName = specs.Select(s => names.FindIndex(n => n.Text == s.Text)).ToArray();
        var byProperty = request.Breakdown?.Source == FunnelBreakdownSource.FirstStepProperty;
        var byTrait = request.Breakdown?.Source == FunnelBreakdownSource.UserTrait;

        // The sequence matching is done here; SQL only reads each name's events. The packed
        // timestamps (EventTimes) carry no event ids or properties; a breakdown by a property of
        // the first step's event and steps with conditions need them, so they read the events
        // themselves (and one event is then told from another by its id).
        var packed = !byProperty && specs.All(s => s.Where.Count == 0);
        var reached = packed
            ? await MatchPackedAsync(names, stepName, range, ct)
            : await MatchRawAsync(names, stepName, range, byProperty ? request.Breakdown!.Key : null, ct);

        var groups = new Dictionary<string, List<Reach>>(StringComparer.Ordinal);
        if (byTrait)
        {
            var ids = reached.Select(r => r.UserId).ToArray();
            Dictionary<long, string> traits;
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
                traits = await db.TrackedUsers.AsNoTracking().Where(u => ids.Contains(u.Id))
                    .ToDictionaryAsync(u => u.Id, u => JsonText.Value(u.Traits, request.Breakdown!.Key), ct);
            foreach (var r in reached) GroupList(groups, traits.GetValueOrDefault(r.UserId, JsonText.None)).Add(r.Best);
        }
        else if (byProperty)
            foreach (var r in reached)
                foreach (var (value, reach) in r.ByValue!)
                    GroupList(groups, value).Add(reach);

        var (totalSteps, totalOpen) = Summarise(reached.Select(r => r.Best).ToList(), steps, range.WindowMs, nowMs);
        List<FunnelGroup>? breakdown = null;
        if (request.Breakdown is not null)
        {
            breakdown = groups
                .Select(g => (g.Key, Summary: Summarise(g.Value, steps, range.WindowMs, nowMs)))
                .OrderByDescending(g => g.Summary.Steps[0].Users).ThenBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new FunnelGroup(g.Key, g.Summary.Steps, g.Summary.Open))
                .ToList();
        }
        return new FunnelResult(totalSteps, totalOpen, breakdown);
    }

    /// <summary>
    /// Starts are the first step's events in [From, End); every name is read over [From, End + W),
    /// the furthest a step can be.
    /// </summary>
    private readonly record struct Range(long FromMs, long EndMs, long WindowMs)
    {
        public long ReadEndMs => EndMs + WindowMs;
    }

    /// <summary>
    /// Matches the users with an attempt among <paramref name="users"/> (dense indexes into the
    /// names' events) and adds their best attempts to <paramref name="into"/>.
    /// <paramref name="valueOf"/> gives the breakdown value of a first-step event by its position.
    /// </summary>
    private static void MatchUsers(NameEvents[] perName, int[] stepName, int users, Func<int, long> userIdOf, Range range,
        bool ids, Func<int, string>? valueOf, List<UserReach> into)
    {
        var starts = perName[0];
        var attempts = new List<int>();
        for (var u = 0; u < users; u++)
        {
            attempts.Clear();
            for (var p = starts.Starts[u]; p < starts.Ends[u] && starts.Ts[p] < range.EndMs; p++) attempts.Add(p);
            if (attempts.Count == 0) continue;
            var byValue = valueOf is null ? null
                : attempts.GroupBy(valueOf).Select(g => (g.Key, Best(perName, stepName, u, g.ToList(), range.WindowMs, ids))).ToList();
            into.Add(new UserReach(userIdOf(u), Best(perName, stepName, u, attempts, range.WindowMs, ids), byValue));
        }
    }

    /// <summary>
    /// The funnel from the events themselves, read by time: each name's range cut in parts read at
    /// once on their own connections. The first step's events name the starters (an s1 event in the
    /// range) and their window [first start, last start + W]; the other names keep only the
    /// starters' events inside their window.
    /// </summary>
    private async Task<List<UserReach>> MatchRawAsync(List<FunnelStepSpec> names, int[] stepName, Range range, string? propertyKey,
        CancellationToken ct)
    {
        var s1 = await ReadAsync(names[0], range.FromMs, range.ReadEndMs, null, ct);
        var starters = new Dictionary<long, int>();
        foreach (var part in s1)
            for (var i = 0; i < part.Count; i++)
                if (part.Ts[i] < range.EndMs) starters.TryAdd(part.UserIds[i], starters.Count);
        var userIds = starters.Keys.ToArray(); // dense index → UserId
        var window = new StarterWindows(starters, range.WindowMs);
        foreach (var part in s1)
            for (var i = 0; i < part.Count; i++)
                if (part.Ts[i] < range.EndMs) window.Extend(starters[part.UserIds[i]], part.Ts[i]);
        var perName = new NameEvents[names.Count];
        perName[0] = Group(userIds.Length, s1, starters);
        for (var n = 1; n < names.Count; n++)
            perName[n] = Group(userIds.Length, await ReadAsync(names[n], range.FromMs, range.ReadEndMs, window, ct), null);

        Func<int, string>? valueOf = null;
        if (propertyKey is not null)
        {
            Dictionary<long, string> properties;
            var (first, fromMs, endMs) = (names[0].Event, range.FromMs, range.EndMs);
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
                properties = await db.Events.AsNoTracking()
                    .Where(e => e.Name == first && e.Timestamp >= fromMs && e.Timestamp < endMs)
                    .Select(e => new { e.Id, e.Properties })
                    .ToDictionaryAsync(e => e.Id, e => JsonText.Value(e.Properties, propertyKey), ct);
            valueOf = p => properties.GetValueOrDefault(perName[0].Ids[p], JsonText.None);
        }
        var reached = new List<UserReach>();
        MatchUsers(perName, stepName, userIds.Length, u => userIds[u], range, ids: true, valueOf, reached);
        return reached;
    }

    /// <summary>Each starter's dense index and window [first start, last start + W].</summary>
    private sealed class StarterWindows(Dictionary<long, int> starters, long windowMs)
    {
        public readonly Dictionary<long, int> Starters = starters;
        private readonly long[] _lo = Enumerable.Repeat(long.MaxValue, starters.Count).ToArray();
        private readonly long[] _hi = Enumerable.Repeat(long.MinValue, starters.Count).ToArray();

        public void Extend(int user, long start)
        {
            _lo[user] = Math.Min(_lo[user], start);
            _hi[user] = Math.Max(_hi[user], start + windowMs);
        }

        /// <summary>The starter's dense index when the event is theirs and inside their window, else -1.</summary>
        public int Of(long userId, long ts) => Starters.TryGetValue(userId, out var u) && ts >= _lo[u] && ts <= _hi[u] ? u : -1;
    }

    /// <summary>Events read: UserId (or a dense index), timestamp and id, in the order read.</summary>
    private sealed class Rows
    {
        public long[] UserIds = new long[1024];
        public long[] Ts = new long[1024];
        public long[] Ids = new long[1024];
        public int Count;

        public void Add(long userId, long ts, long id)
        {
            if (Count == Ts.Length)
            {
                var size = Count * 2;
                Array.Resize(ref UserIds, size);
                Array.Resize(ref Ts, size);
                Array.Resize(ref Ids, size);
            }
            (UserIds[Count], Ts[Count], Ids[Count]) = (userId, ts, id);
            Count++;
        }
    }

    /// <summary>
    /// The events of <paramref name="step"/> in [from, end), in timestamp then storage order per
    /// user; with <paramref name="window"/>, only starters' events inside their window (users as
    /// dense indexes). The range is cut in as many parts as there are processors, read at once on
    /// their own connections, and returned in order.
    /// </summary>
    private async Task<Rows[]> ReadAsync(FunnelStepSpec step, long fromMs, long endMs, StarterWindows? window, CancellationToken ct)
    {
        var parts = Rollup.ReadWorkers;
        var span = Math.Max(1, (endMs - fromMs + parts - 1) / parts);
        var results = new Rows[parts];
        // Each part on a thread pool thread of its own: the reads complete synchronously.
        await Task.WhenAll(Enumerable.Range(0, parts).Select(i => Task.Run(async () =>
        {
            var (a, b) = (fromMs + i * span, Math.Min(endMs, fromMs + (i + 1) * span));
            results[i] = a >= b ? new Rows() : await ReadPartAsync(step, a, b, window, ct);
        }, ct)));
        return results;
    }

    private async Task<Rows> ReadPartAsync(FunnelStepSpec step, long fromMs, long endMs, StarterWindows? window, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        // Without conditions the covering index answers alone; conditions read each event's properties.
        var filtered = step.Where.Count > 0;
        await using var cmd = EventRanges.Command(db.Database.GetDbConnection(), step.Event, fromMs, endMs, withProperties: filtered);
        var rows = new Rows();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var n = 0;
        while (reader.Read())
        {
            if ((++n & 0xFFFF) == 0) ct.ThrowIfCancellationRequested();
            var (userId, ts, id) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
            if (filtered && !step.Matches(reader.IsDBNull(3) ? null : reader.GetString(3))) continue;
            if (window is null) rows.Add(userId, ts, id);
            else if (window.Of(userId, ts) is var u and >= 0) rows.Add(u, ts, id);
        }
        return rows;
    }

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
    private async Task<List<UserReach>> MatchPackedAsync(List<FunnelStepSpec> names, int[] stepName, Range range, CancellationToken ct)
    {
        var (next, chunks) = (-1, 0);
        var found = await Task.WhenAll(Enumerable.Range(0, Rollup.ReadWorkers).Select(_ => Task.Run(async () =>
        {
            var reached = new List<UserReach>();
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await using var snapshot = await Rollup.BeginSnapshotAsync(db, ct);
            using var reader = new PackedReader(db.Database.GetDbConnection(), snapshot.GetDbTransaction(), names, range);
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
                MatchUsers(perName, stepName, ChunkUsers, u => firstUser + u, range, ids: false, null, reached);
            }
            return reached;
        }, ct)));
        return [.. found.SelectMany(r => r)];
    }

    /// <summary>One worker's reads of the packed timestamps, chunk by chunk, on one connection and transaction.</summary>
    private sealed class PackedReader : IDisposable
    {
        private readonly List<DbCommand> _commands = [];
        private readonly Range _range;
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

        public PackedReader(DbConnection connection, DbTransaction transaction, List<FunnelStepSpec> names, Range range)
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
        public NameEvents[] Read(int chunk)
        {
            var perName = new NameEvents[_buffers.Length];
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
        private NameEvents ReadName(int name, int chunk, bool windowed)
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
            return new NameEvents(starts, ends, ts, []);
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
    private struct ChunkFiller(int[] starts, int[] ends, long[] ts, long firstUser, Range range, long[]? lo, long[] hi,
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

    /// <summary>
    /// Groups the parts' events by starter with a stable counting sort: the parts come in time
    /// order and each in index order, so each starter's events stay in timestamp then storage
    /// order. Users are dense indexes, or UserIds mapped by <paramref name="map"/> (events of
    /// others dropped).
    /// </summary>
    private static NameEvents Group(int starters, Rows[] parts, Dictionary<long, int>? map)
    {
        int Of(long user) => map is null ? (int)user : map.TryGetValue(user, out var u) ? u : -1;
        var offsets = new int[starters + 1];
        foreach (var rows in parts)
            for (var i = 0; i < rows.Count; i++)
                if (Of(rows.UserIds[i]) is var u and >= 0) offsets[u + 1]++;
        for (var u = 0; u < starters; u++) offsets[u + 1] += offsets[u];
        var next = (int[])offsets.Clone();
        var (sortedTs, sortedIds) = (new long[offsets[starters]], new long[offsets[starters]]);
        foreach (var rows in parts)
            for (var i = 0; i < rows.Count; i++)
            {
                if (Of(rows.UserIds[i]) is not (var u and >= 0)) continue;
                var at = next[u]++;
                (sortedTs[at], sortedIds[at]) = (rows.Ts[i], rows.Ids[i]);
            }
        return new NameEvents(offsets, offsets[1..], sortedTs, sortedIds);
    }

    private static List<Reach> GroupList(Dictionary<string, List<Reach>> groups, string key) =>
        groups.TryGetValue(key, out var list) ? list : groups[key] = [];

    /// <summary>The attempt reaching furthest; the earliest among ties (attempts come in time order).</summary>
    private static Reach Best(NameEvents[] perName, int[] stepName, int user, List<int> attempts, long windowMs, bool ids)
    {
        Span<long> best = stackalloc long[stepName.Length];
        Span<long> times = stackalloc long[stepName.Length];
        Span<long> used = stackalloc long[stepName.Length];
        var bestDepth = 0;
        foreach (var start in attempts)
        {
            var depth = Follow(perName, stepName, user, start, windowMs, ids, times, used);
            if (depth <= bestDepth) continue;
            bestDepth = depth;
            var swap = best;
            best = times;
            times = swap;
            if (bestDepth == stepName.Length) break;
        }
        return new Reach(bestDepth, best.ToArray());
    }

    /// <summary>
    /// Fills the steps of the attempt that starts at position <paramref name="start"/> of the first
    /// step's events greedily: each step takes the earliest event of its name at or after the
    /// previous step's time (by timestamp, then storage order) within the window, skipping events
    /// the attempt already used. Returns how many steps it reached, their times in <paramref name="times"/>.
    /// </summary>
    private static int Follow(NameEvents[] perName, int[] stepName, int user, int start, long windowMs, bool ids,
        Span<long> times, Span<long> used)
    {
        // The events the attempt used: by id when the steps' events were read with ids (steps
        // with conditions may share events), else as positions in their step's events.
        var s1 = perName[stepName[0]];
        times[0] = s1.Ts[start];
        used[0] = ids ? s1.Ids[start] : Position(stepName[0], start);
        var deadline = times[0] + windowMs;
        var depth = 1;
        for (; depth < stepName.Length; depth++)
        {
            var name = stepName[depth];
            var events = perName[name];
            var (a, b) = (events.Starts[user], events.Ends[user]);
            var p = LowerBound(events.Ts, a, b, times[depth - 1]);
            while (p < b && events.Ts[p] <= deadline && used[..depth].Contains(ids ? events.Ids[p] : Position(name, p))) p++;
            if (p == b || events.Ts[p] > deadline) break;
            used[depth] = ids ? events.Ids[p] : Position(name, p);
            times[depth] = events.Ts[p];
        }
        return depth;
    }

    private static long Position(int name, int position) => ((long)name << 32) | (uint)position;

    /// <summary>The first position in [a, b) whose timestamp is at or after <paramref name="timestamp"/>.</summary>
    private static int LowerBound(long[] ts, int a, int b, long timestamp)
    {
        while (a < b)
        {
            var mid = (a + b) >>> 1;
            if (ts[mid] < timestamp) a = mid + 1; else b = mid;
        }
        return a;
    }

    private static (IReadOnlyList<FunnelStep> Steps, int Open) Summarise(List<Reach> users, IReadOnlyList<string> steps, long windowMs, long nowMs)
    {
        // reached[i]: users whose best attempt reached step i; gaps[i]: their milliseconds from step i - 1.
        var reached = new int[steps.Count];
        foreach (var u in users) reached[u.Depth - 1]++;
        for (var i = steps.Count - 2; i >= 0; i--) reached[i] += reached[i + 1];
        var gaps = reached.Select(n => new long[n]).ToArray();
        var filled = new int[steps.Count];
        var open = 0;
        foreach (var u in users)
        {
            for (var i = 1; i < u.Depth; i++) gaps[i][filled[i]++] = u.Times[i] - u.Times[i - 1];
            if (u.Depth < steps.Count && nowMs <= u.StartMs + windowMs) open++;
        }
        var result = new List<FunnelStep>();
        var started = users.Count;
        for (var i = 0; i < steps.Count; i++)
        {
            var previous = i == 0 ? started : reached[i - 1];
            result.Add(new FunnelStep(steps[i], reached[i],
                started == 0 ? null : (double)reached[i] / started,
                previous == 0 ? null : (double)reached[i] / previous,
                i == 0 ? null : MedianSeconds(gaps[i])));
        }
        return (result, open);
    }

    /// <summary>The median of millisecond gaps, in seconds: the middle value, or the mean of the two middle values.</summary>
    private static double? MedianSeconds(long[] gapsMs)
    {
        if (gapsMs.Length == 0) return null;
        Array.Sort(gapsMs);
        var mid = gapsMs.Length / 2;
        return gapsMs.Length % 2 == 1 ? gapsMs[mid] / 1000.0 : (gapsMs[mid - 1] / 1000.0 + gapsMs[mid] / 1000.0) / 2;
    }
}
