using Dashboard.Rollups;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Analytics.Funnels;

/// <summary>
/// The funnel's events read from the Events table itself, for steps with property conditions and
/// breakdowns by a property of the first step's event: ids and properties are there, where the
/// packed timestamps carry neither; and for a strict order, which reads every event of the
/// starters (<see cref="FunnelStepSpec.AnyEvent"/>). One event is told from another by its id.
/// </summary>
internal sealed class FunnelRawReader(IDbContextFactory<DashboardDbContext> dbFactory)
{
    /// <summary>
    /// The funnel from the events themselves, read by time: each name's range cut in parts read at
    /// once on their own connections. The first step's events name the starters (an s1 event in the
    /// range) and their window [first start, last start + W]; the other names keep only the
    /// starters' events inside their window. With a <paramref name="cohort"/>, only its members start.
    /// </summary>
    public async Task<List<UserReach>> MatchAsync(List<FunnelStepSpec> names, int[] stepName, int[] blockers, FunnelRange range,
        string? propertyKey, CancellationToken ct, string? cohort = null)
    {
        var s1 = await ReadAsync(names[0], range.FromMs, range.ReadEndMs, null, ct, cohort);
        var starters = new Dictionary<long, int>();
        foreach (var part in s1)
            for (var i = 0; i < part.Count; i++)
                if (part.Ts[i] < range.EndMs) starters.TryAdd(part.UserIds[i], starters.Count);
        var userIds = starters.Keys.ToArray(); // dense index → UserId
        var window = new StarterWindows(starters, range.WindowMs);
        foreach (var part in s1)
            for (var i = 0; i < part.Count; i++)
                if (part.Ts[i] < range.EndMs) window.Extend(starters[part.UserIds[i]], part.Ts[i]);
        var perName = new FunnelEvents[names.Count];
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
        FunnelMatcher.MatchUsers(perName, stepName, blockers, userIds.Length, u => userIds[u], range, ids: true, valueOf, reached);
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
    private async Task<Rows[]> ReadAsync(FunnelStepSpec step, long fromMs, long endMs, StarterWindows? window, CancellationToken ct, string? cohort = null)
    {
        var parts = Rollup.ReadWorkers;
        var span = Math.Max(1, (endMs - fromMs + parts - 1) / parts);
        var results = new Rows[parts];
        // Each part on a thread pool thread of its own: the reads complete synchronously.
        await Task.WhenAll(Enumerable.Range(0, parts).Select(i => Task.Run(async () =>
        {
            var (a, b) = (fromMs + i * span, Math.Min(endMs, fromMs + (i + 1) * span));
            results[i] = a >= b ? new Rows() : await ReadPartAsync(step, a, b, window, ct, cohort);
        }, ct)));
        return results;
    }

    private async Task<Rows> ReadPartAsync(FunnelStepSpec step, long fromMs, long endMs, StarterWindows? window, CancellationToken ct, string? cohort)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        // Without conditions the covering index answers alone; conditions read each event's properties.
        var filtered = step.Where.Count > 0;
        await using var cmd = EventRanges.Command(db.Database.GetDbConnection(),
            step == FunnelStepSpec.AnyEvent ? null : step.Event, fromMs, endMs, withProperties: filtered, cohort);
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

    /// <summary>
    /// Groups the parts' events by starter with a stable counting sort: the parts come in time
    /// order and each in index order, so each starter's events stay in timestamp then storage
    /// order. Users are dense indexes, or UserIds mapped by <paramref name="map"/> (events of
    /// others dropped).
    /// </summary>
    private static FunnelEvents Group(int starters, Rows[] parts, Dictionary<long, int>? map)
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
        return new FunnelEvents(offsets, offsets[1..], sortedTs, sortedIds);
    }
}
