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
    /// The events of one step name, grouped by starter: starter u's events are the positions
    /// [Offsets[u], Offsets[u + 1]) of <see cref="Ts"/> and <see cref="Ids"/>, in timestamp then
    /// storage order.
    /// </summary>
    private sealed class NameEvents(int[] offsets, long[] ts, long[] ids)
    {
        public readonly int[] Offsets = offsets;
        public readonly long[] Ts = ts;
        public readonly long[] Ids = ids;
    }

    public async Task<FunnelResult> RunAsync(FunnelRequest request, CancellationToken ct = default)
    {
        var steps = request.Steps;
        if (steps.Count < 2) throw new ArgumentException("a funnel needs at least two steps", nameof(request));
        var fromMs = UtcCalendar.StartMs(request.From);
        var endMs = UtcCalendar.EndMs(request.To);
        var windowMs = (long)(request.Window ?? FunnelRequest.DefaultWindow).TotalMilliseconds;
        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        // Steps with the same event and conditions share their events ("names" below are these).
        var specs = steps.Select(s => FunnelSteps.Parse(s, out var error) is var spec && error is null ? spec : throw new ArgumentException(error))
            .ToList();
        var names = specs.DistinctBy(s => s.Text).ToList();
        var stepName = specs.Select(s => names.FindIndex(n => n.Text == s.Text)).ToArray();
        var first = specs[0].Event;
        var byProperty = request.Breakdown?.Source == FunnelBreakdownSource.FirstStepProperty;
        var byTrait = request.Breakdown?.Source == FunnelBreakdownSource.UserTrait;

        // The sequence matching is done here; SQL only reads each step's events in time order (see
        // ReadAsync), each name's range cut in parts read on their own connections at once. The first step's
        // events name the starters (an s1 event in the range) and their window [first start, last
        // start + W]; the other names keep only the starters' events inside their window.
        // The packed timestamps (EventTimes) carry no event ids or properties; a breakdown by a
        // property of the first step's event and steps with conditions need them, so they read the
        // events themselves (and one event is then told from another by its id).
        var packed = !byProperty && specs.All(s => s.Where.Count == 0);
        var s1 = await ReadAsync(names[0], fromMs, endMs + windowMs, null, packed, ct);
        var starters = new Dictionary<long, int>();
        foreach (var part in s1)
            for (var i = 0; i < part.Count; i++)
                if (part.Ts[i] < endMs) starters.TryAdd(part.UserIds[i], starters.Count);
        var userIds = starters.Keys.ToArray(); // dense index → UserId
        var window = new StarterWindows(starters, windowMs);
        foreach (var part in s1)
            for (var i = 0; i < part.Count; i++)
                if (part.Ts[i] < endMs) window.Extend(starters[part.UserIds[i]], part.Ts[i]);
        var perName = new NameEvents[names.Count];
        perName[0] = Group(userIds.Length, s1, starters);
        for (var n = 1; n < names.Count; n++)
            perName[n] = Group(userIds.Length, await ReadAsync(names[n], fromMs, endMs + windowMs, window, packed, ct), null);
        var ids = !packed;

        Dictionary<long, string> properties = [];
        Dictionary<long, string> traits = [];
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            if (byProperty)
                properties = await db.Events.AsNoTracking()
                    .Where(e => e.Name == first && e.Timestamp >= fromMs && e.Timestamp < endMs)
                    .Select(e => new { e.Id, e.Properties })
                    .ToDictionaryAsync(e => e.Id, e => JsonText.Value(e.Properties, request.Breakdown!.Key), ct);
            if (byTrait)
                traits = await db.TrackedUsers.AsNoTracking().Where(u => userIds.Contains(u.Id))
                    .ToDictionaryAsync(u => u.Id, u => JsonText.Value(u.Traits, request.Breakdown!.Key), ct);
        }

        var total = new List<Reach>();
        var groups = new Dictionary<string, List<Reach>>(StringComparer.Ordinal);
        var starts = perName[0];
        var attempts = new List<int>();
        for (var u = 0; u < userIds.Length; u++)
        {
            attempts.Clear();
            for (var p = starts.Offsets[u]; p < starts.Offsets[u + 1]; p++)
                if (starts.Ts[p] >= fromMs && starts.Ts[p] < endMs) attempts.Add(p);
            if (attempts.Count == 0) continue;
            total.Add(Best(perName, stepName, u, attempts, windowMs, ids));
            if (byTrait)
                GroupList(groups, traits.GetValueOrDefault(userIds[u], JsonText.None)).Add(total[^1]);
            else if (byProperty)
                foreach (var g in attempts.GroupBy(p => properties.GetValueOrDefault(starts.Ids[p], JsonText.None)))
                    GroupList(groups, g.Key).Add(Best(perName, stepName, u, g.ToList(), windowMs, ids));
        }

        var (totalSteps, totalOpen) = Summarise(total, steps, windowMs, nowMs);
        List<FunnelGroup>? breakdown = null;
        if (request.Breakdown is not null)
        {
            breakdown = groups
                .Select(g => (g.Key, Summary: Summarise(g.Value, steps, windowMs, nowMs)))
                .OrderByDescending(g => g.Summary.Steps[0].Users).ThenBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new FunnelGroup(g.Key, g.Summary.Steps, g.Summary.Open))
                .ToList();
        }
        return new FunnelResult(totalSteps, totalOpen, breakdown);
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

        public bool Contains(int user, long ts) => ts >= _lo[user] && ts <= _hi[user];

        /// <summary>The starter's dense index when the event is theirs and inside their window, else -1.</summary>
        public int Of(long userId, long ts) => Starters.TryGetValue(userId, out var u) && Contains(u, ts) ? u : -1;
    }

    /// <summary>Events read from the index: UserId (or the starter's dense index once kept), timestamp and id, in index order.</summary>
    private sealed class Rows(bool ids)
    {
        public long[] UserIds = new long[1024];
        public long[] Ts = new long[1024];
        public long[]? Ids = ids ? new long[1024] : null;
        public int Count;

        public void Add(long userId, long ts, long id)
        {
            if (Count == Ts.Length)
            {
                var size = Count * 2;
                Array.Resize(ref UserIds, size);
                Array.Resize(ref Ts, size);
                if (Ids is not null) Array.Resize(ref Ids, size);
            }
            (UserIds[Count], Ts[Count]) = (userId, ts);
            if (Ids is not null) Ids[Count] = id;
            Count++;
        }
    }

    /// <summary>
    /// The events named <paramref name="name"/> in [from, end), in timestamp then storage order per
    /// user; with <paramref name="window"/>, only starters' events inside their window (users as
    /// dense indexes). The range is cut in as many parts as there are processors, read at once on
    /// their own connections, and returned in order. With <paramref name="packed"/> the events come
    /// from <see cref="EventTimes"/> plus those above the watermark, without ids.
    /// </summary>
    private async Task<Rows[]> ReadAsync(FunnelStepSpec step, long fromMs, long endMs, StarterWindows? window, bool packed, CancellationToken ct)
    {
        var parts = Math.Max(1, Math.Min(Environment.ProcessorCount, 8));
        var span = Math.Max(1, (endMs - fromMs + parts - 1) / parts);
        var results = new Rows[parts];
        // Each part on a thread pool thread of its own: the reads complete synchronously.
        await Task.WhenAll(Enumerable.Range(0, parts).Select(i => Task.Run(async () =>
        {
            var (a, b) = (fromMs + i * span, Math.Min(endMs, fromMs + (i + 1) * span));
            results[i] = a >= b ? new Rows(!packed)
                : packed ? await ReadPackedPartAsync(step.Event, a, b, window, ct)
                : await ReadPartAsync(step, a, b, window, ct);
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
        var rows = new Rows(ids: true);
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

    /// <summary>
    /// One part from the packed timestamps at or under the rollup watermark plus the raw events
    /// above it, in one read transaction so the two meet exactly. Non-starters are skipped before
    /// their timestamps are unpacked.
    /// </summary>
    private async Task<Rows> ReadPackedPartAsync(string name, long fromMs, long endMs, StarterWindows? window, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var snapshot = await Rollup.BeginSnapshotAsync(db, ct);
        var connection = db.Database.GetDbConnection();
        var transaction = snapshot.GetDbTransaction();
        var rows = new Rows(ids: false);
        var sink = new PartSink(rows, window, fromMs, endMs);
        await using (var cmd = connection.CreateCommand())
        {
            cmd.Transaction = transaction;
            cmd.CommandText = $"""
                SELECT "Times" FROM "{EventTimes.Table}"
                WHERE "Name" = $name AND "Week" >= $w0 AND "Week" <= $w1
                """;
            EventRanges.Add(cmd, "$name", name);
            EventRanges.Add(cmd, "$w0", EventTimes.WeekOf(fromMs));
            EventRanges.Add(cmd, "$w1", EventTimes.WeekOf(endMs - 1));
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            var n = 0;
            while (reader.Read())
            {
                if ((++n & 0xFF) == 0) ct.ThrowIfCancellationRequested();
                EventTimes.Decode(reader.GetFieldValue<byte[]>(0), ref sink);
            }
        }
        await using (var cmd = connection.CreateCommand())
        {
            cmd.Transaction = transaction;
            cmd.CommandText = $"""
                SELECT e."UserId", e."Timestamp" FROM "Events" AS e, ({Rollup.Watermark}) AS w
                WHERE e."Id" > w."Id" AND e."Name" || '' = $name AND +e."Timestamp" >= $from AND +e."Timestamp" < $end
                """;
            EventRanges.Add(cmd, "$name", name);
            EventRanges.Add(cmd, "$from", fromMs);
            EventRanges.Add(cmd, "$end", endMs);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (reader.Read())
                if (sink.User(reader.GetInt64(0))) sink.Add(reader.GetInt64(1));
        }
        return rows;
    }

    /// <summary>Takes unpacked timestamps of the current user into a part's rows: in the part's range and, for a step, the starter's window.</summary>
    private struct PartSink(Rows rows, StarterWindows? window, long fromMs, long endMs) : EventTimes.ISink
    {
        private long _user;

        /// <summary>Sets the user of the next timestamps; false when their events are not needed.</summary>
        public bool User(long userId)
        {
            if (window is null)
            {
                _user = userId;
                return true;
            }
            if (!window.Starters.TryGetValue(userId, out var u)) return false;
            _user = u;
            return true;
        }

        public readonly void Add(long timestamp)
        {
            if (timestamp < fromMs || timestamp >= endMs) return;
            if (window is not null && !window.Contains((int)_user, timestamp)) return;
            rows.Add(_user, timestamp, 0);
        }
    }

    /// <summary>
    /// Groups the parts' events by starter with a stable counting sort, so each starter's events
    /// keep their order; users are dense indexes, or UserIds mapped by <paramref name="map"/> (events
    /// of others dropped).
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
        var withIds = parts.Any(p => p.Ids is not null);
        var (sortedTs, sortedIds) = (new long[offsets[starters]], withIds ? new long[offsets[starters]] : []);
        foreach (var rows in parts)
            for (var i = 0; i < rows.Count; i++)
            {
                if (Of(rows.UserIds[i]) is not (var u and >= 0)) continue;
                var at = next[u]++;
                sortedTs[at] = rows.Ts[i];
                if (withIds) sortedIds[at] = rows.Ids![i];
            }
        // Packed rows come week by week, the events above the watermark after them: put any
        // starter's events that arrived out of order back in time order (ids follow for raw reads).
        for (var u = 0; u < starters; u++)
        {
            var (a, b) = (offsets[u], offsets[u + 1]);
            for (var i = a + 1; i < b; i++)
            {
                if (sortedTs[i] >= sortedTs[i - 1]) continue;
                if (withIds) Array.Sort(sortedTs, sortedIds, a, b - a);
                else Array.Sort(sortedTs, a, b - a);
                break;
            }
        }
        return new NameEvents(offsets, sortedTs, sortedIds);
    }

    private static List<Reach> GroupList(Dictionary<string, List<Reach>> groups, string key) =>
        groups.TryGetValue(key, out var list) ? list : groups[key] = [];

    /// <summary>The attempt reaching furthest; the earliest among ties (attempts come in time order).</summary>
    private static Reach Best(NameEvents[] perName, int[] stepName, int user, List<int> attempts, long windowMs, bool ids)
    {
        Reach? best = null;
        foreach (var start in attempts)
        {
            var reach = Follow(perName, stepName, user, start, windowMs, ids);
            if (best is null || reach.Depth > best.Depth) best = reach;
            if (best.Depth == stepName.Length) break;
        }
        return best!;
    }

    /// <summary>
    /// Fills the steps of the attempt that starts at position <paramref name="start"/> of the first
    /// step's events greedily: each step takes the earliest event of its name at or after the
    /// previous step's time (by timestamp, then storage order) within the window, skipping events
    /// the attempt already used.
    /// </summary>
    private static Reach Follow(NameEvents[] perName, int[] stepName, int user, int start, long windowMs, bool ids)
    {
        var times = new long[stepName.Length];
        // The events the attempt used: by id when the steps' events were read with ids (steps
        // with conditions may share events), else as positions in their step's events.
        Span<long> used = stackalloc long[stepName.Length];
        var s1 = perName[stepName[0]];
        times[0] = s1.Ts[start];
        used[0] = ids ? s1.Ids[start] : Position(stepName[0], start);
        var deadline = times[0] + windowMs;
        var depth = 1;
        for (; depth < stepName.Length; depth++)
        {
            var name = stepName[depth];
            var events = perName[name];
            var (a, b) = (events.Offsets[user], events.Offsets[user + 1]);
            var p = LowerBound(events.Ts, a, b, times[depth - 1]);
            while (p < b && events.Ts[p] <= deadline && used[..depth].Contains(ids ? events.Ids[p] : Position(name, p))) p++;
            if (p == b || events.Ts[p] > deadline) break;
            used[depth] = ids ? events.Ids[p] : Position(name, p);
            times[depth] = events.Ts[p];
        }
        return new Reach(depth, times);
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
        var result = new List<FunnelStep>();
        var started = users.Count;
        for (var i = 0; i < steps.Count; i++)
        {
            var reached = users.Where(u => u.Depth > i).ToList();
            var previous = i == 0 ? started : result[i - 1].Users;
            double? median = i == 0 ? null : Median(reached.Select(u => (u.Times[i] - u.Times[i - 1]) / 1000.0));
            result.Add(new FunnelStep(steps[i], reached.Count,
                started == 0 ? null : (double)reached.Count / started,
                previous == 0 ? null : (double)reached.Count / previous,
                median));
        }
        var open = users.Count(u => u.Depth < steps.Count && nowMs <= u.StartMs + windowMs);
        return (result, open);
    }

    private static double? Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return null;
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
