namespace Dashboard.Analytics.Funnels;

/// <summary>
/// Starts are the first step's events in [From, End); every name is read over [From, End + W),
/// the furthest a step can be.
/// </summary>
internal readonly record struct FunnelRange(long FromMs, long EndMs, long WindowMs)
{
    public long ReadEndMs => EndMs + WindowMs;
}

/// <summary>
/// The events of one step name, grouped by user: user u's events are the positions
/// [Starts[u], Ends[u]) of <see cref="Ts"/> and <see cref="Ids"/>, in timestamp then
/// storage order. <see cref="Ids"/> is empty when the events were read without ids.
/// </summary>
internal sealed class FunnelEvents(int[] starts, int[] ends, long[] ts, long[] ids)
{
    public readonly int[] Starts = starts;
    public readonly int[] Ends = ends;
    public readonly long[] Ts = ts;
    public readonly long[] Ids = ids;
}

/// <summary>How far one attempt went: the steps it reached and the time of each.</summary>
internal sealed record FunnelReach(int Depth, long[] Times)
{
    public long StartMs => Times[0];
}

/// <summary>A user's best attempt; with a breakdown by a property of the first step's event, the best attempt per value too.</summary>
internal sealed record UserReach(long UserId, FunnelReach Best, List<(string Value, FunnelReach Reach)>? ByValue);

/// <summary>
/// The funnel's step matching over events already in memory, with no storage. Steps are indexes
/// into per-name events (<c>stepName[i]</c> is the name of step i; steps with the same event and
/// conditions share a name). An attempt starts at each first-step event before End; each later step
/// takes the earliest event of its name at or after the previous step's event (by timestamp, then
/// storage order) and at most W after the attempt's start, an event filling at most one step of an
/// attempt. Blockers (indexes of names too, never steps') end an attempt at step i when one of
/// their events lies strictly between step i's time and the time of the event that would fill
/// step i + 1: an event at the same millisecond as either step does not. They are the exclusion
/// events, or every event of the user for a strict order. A user's best attempt reaches furthest,
/// the earliest start among ties.
/// <see cref="Summarise"/> turns best attempts into per-step counts, conversions and medians.
/// </summary>
internal static class FunnelMatcher
{
    /// <summary>
    /// Matches the users with an attempt among <paramref name="users"/> (dense indexes into the
    /// names' events) and adds their best attempts to <paramref name="into"/>. With
    /// <paramref name="ids"/> events are told apart by id, else by position.
    /// <paramref name="valueOf"/> gives the breakdown value of a first-step event by its position.
    /// </summary>
    public static void MatchUsers(FunnelEvents[] perName, int[] stepName, int[] blockers, int users, Func<int, long> userIdOf,
        FunnelRange range, bool ids, Func<int, string>? valueOf, List<UserReach> into)
    {
        var starts = perName[0];
        var attempts = new List<int>();
        for (var u = 0; u < users; u++)
        {
            attempts.Clear();
            for (var p = starts.Starts[u]; p < starts.Ends[u] && starts.Ts[p] < range.EndMs; p++) attempts.Add(p);
            if (attempts.Count == 0) continue;
            var byValue = valueOf is null ? null
                : attempts.GroupBy(valueOf).Select(g => (g.Key, Best(perName, stepName, blockers, u, g.ToList(), range.WindowMs, ids))).ToList();
            into.Add(new UserReach(userIdOf(u), Best(perName, stepName, blockers, u, attempts, range.WindowMs, ids), byValue));
        }
    }

    /// <summary>The attempt reaching furthest; the earliest among ties (attempts come in time order).</summary>
    private static FunnelReach Best(FunnelEvents[] perName, int[] stepName, int[] blockers, int user, List<int> attempts, long windowMs,
        bool ids)
    {
        Span<long> best = stackalloc long[stepName.Length];
        Span<long> times = stackalloc long[stepName.Length];
        Span<long> used = stackalloc long[stepName.Length];
        var bestDepth = 0;
        foreach (var start in attempts)
        {
            var depth = Follow(perName, stepName, blockers, user, start, windowMs, ids, times, used);
            if (depth <= bestDepth) continue;
            bestDepth = depth;
            var swap = best;
            best = times;
            times = swap;
            if (bestDepth == stepName.Length) break;
        }
        return new FunnelReach(bestDepth, best.ToArray());
    }

    /// <summary>
    /// Fills the steps of the attempt that starts at position <paramref name="start"/> of the first
    /// step's events greedily: each step takes the earliest event of its name at or after the
    /// previous step's time (by timestamp, then storage order) within the window, skipping events
    /// the attempt already used, and stopping where a blocker's event comes strictly between two
    /// steps (a later event of the step would have it between too, so the earliest stays best).
    /// Returns how many steps it reached, their times in <paramref name="times"/>.
    /// </summary>
    private static int Follow(FunnelEvents[] perName, int[] stepName, int[] blockers, int user, int start, long windowMs, bool ids,
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
            if (p == b || events.Ts[p] > deadline || Blocked(perName, blockers, user, times[depth - 1], events.Ts[p])) break;
            used[depth] = ids ? events.Ids[p] : Position(name, p);
            times[depth] = events.Ts[p];
        }
        return depth;
    }

    /// <summary>True when a blocker's event of the user lies in the open interval (<paramref name="after"/>, <paramref name="before"/>).</summary>
    private static bool Blocked(FunnelEvents[] perName, int[] blockers, int user, long after, long before)
    {
        foreach (var name in blockers)
        {
            var events = perName[name];
            var p = LowerBound(events.Ts, events.Starts[user], events.Ends[user], after + 1);
            if (p < events.Ends[user] && events.Ts[p] < before) return true;
        }
        return false;
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

    /// <summary>
    /// Per step: users whose best attempt reached it, conversion from step 1 and from the previous
    /// step (null when the base is 0), and the median seconds from the previous step (null for step
    /// 1), with <paramref name="timeToConvert"/> its percentiles and histogram too; and the users whose best attempt stopped short while its window is open at now.
    /// </summary>
    public static (IReadOnlyList<FunnelStep> Steps, int Open) Summarise(List<FunnelReach> users, IReadOnlyList<string> steps, long windowMs,
        long nowMs, bool timeToConvert = false)
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
                i == 0 ? null : MedianSeconds(gaps[i]), i == 0 || !timeToConvert ? null : TimeToConvert(gaps[i])));
        }
        return (result, open);
    }

    /// <summary>The histogram's upper edges in seconds: a minute, five minutes, an hour, a day, a week; then beyond.</summary>
    public static readonly long[] HistogramEdges = [60, 300, 3600, 86400, 604800];

    /// <summary>
    /// p50 and p90 by nearest rank (the value at rank ⌈p·n⌉ of the n sorted gaps; null for none) and
    /// users per bucket: bucket j holds the gaps in (edge j−1, edge j] seconds, the last those beyond the last edge.
    /// </summary>
    private static FunnelTimeToConvert TimeToConvert(long[] gapsMs)
    {
        Array.Sort(gapsMs);
        double? Rank(int percent) => gapsMs.Length == 0 ? null : gapsMs[Math.Max(1, (gapsMs.Length * percent + 99) / 100) - 1] / 1000.0;
        var counts = new int[HistogramEdges.Length + 1];
        foreach (var gap in gapsMs)
        {
            var j = 0;
            while (j < HistogramEdges.Length && gap > HistogramEdges[j] * 1000) j++;
            counts[j]++;
        }
        var histogram = counts.Select((n, j) => new FunnelTimeBucket(j < HistogramEdges.Length ? HistogramEdges[j] : null, n)).ToList();
        return new FunnelTimeToConvert(Rank(50), Rank(90), histogram);
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
