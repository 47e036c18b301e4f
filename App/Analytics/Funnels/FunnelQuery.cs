using System.Text.Json.Serialization;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

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
    private sealed record Ev(long Id, long UserId, string Name, long Timestamp, string? Properties);

    private sealed record Reach(int Depth, long[] Times)
    {
        public long StartMs => Times[0];
    }

    public async Task<FunnelResult> RunAsync(FunnelRequest request, CancellationToken ct = default)
    {
        var steps = request.Steps;
        if (steps.Count < 2) throw new ArgumentException("a funnel needs at least two steps", nameof(request));
        var fromMs = UtcCalendar.StartMs(request.From);
        var endMs = UtcCalendar.EndMs(request.To);
        var windowMs = (long)(request.Window ?? FunnelRequest.DefaultWindow).TotalMilliseconds;
        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var first = steps[0];
        var names = steps.Distinct().ToList();
        var byProperty = request.Breakdown?.Source == FunnelBreakdownSource.FirstStepProperty;
        var byTrait = request.Breakdown?.Source == FunnelBreakdownSource.UserTrait;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // The sequence matching is done in C#; SQL narrows to the step events of users who started in
        // the range, inside [their first start, their last start + W], read from the covering
        // (Name, Timestamp, UserId) index with no row lookups. Starters are materialized so each event
        // finds its user's window by key. Sorting is cheaper here than in SQL's temporary b-tree.
        var events = new List<Ev>();
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        await using (var cmd = connection.CreateCommand())
        {
            var inList = string.Join(", ", names.Select((_, i) => $"$n{i}"));
            cmd.CommandText = $"""
                WITH st AS MATERIALIZED (SELECT "UserId", MIN("Timestamp") AS "Lo", MAX("Timestamp") + $window AS "Hi" FROM "Events"
                                         WHERE "Name" = $first AND "Timestamp" >= $from AND "Timestamp" < $end GROUP BY "UserId")
                SELECT e."Id", e."UserId", e."Name", e."Timestamp"
                FROM "Events" AS e JOIN st ON st."UserId" = e."UserId"
                WHERE e."Name" IN ({inList}) AND e."Timestamp" >= $from AND e."Timestamp" < $end + $window
                  AND e."Timestamp" >= st."Lo" AND e."Timestamp" <= st."Hi"
                """;
            Add(cmd, "$window", windowMs);
            Add(cmd, "$first", first);
            Add(cmd, "$from", fromMs);
            Add(cmd, "$end", endMs);
            for (var i = 0; i < names.Count; i++) Add(cmd, $"$n{i}", names[i]);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var name = reader.GetString(2);
                events.Add(new Ev(reader.GetInt64(0), reader.GetInt64(1), names.First(n => n == name), reader.GetInt64(3), null));
            }
        }
        if (byProperty)
        {
            var properties = await db.Events.AsNoTracking()
                .Where(e => e.Name == first && e.Timestamp >= fromMs && e.Timestamp < endMs)
                .Select(e => new { e.Id, e.Properties })
                .ToDictionaryAsync(e => e.Id, e => e.Properties, ct);
            events = events.Select(e => e.Name == first && properties.TryGetValue(e.Id, out var p) ? e with { Properties = p } : e).ToList();
        }
        events.Sort((a, b) => a.UserId != b.UserId ? a.UserId.CompareTo(b.UserId)
            : a.Timestamp != b.Timestamp ? a.Timestamp.CompareTo(b.Timestamp) : a.Id.CompareTo(b.Id));
        Dictionary<long, string> traits = [];
        if (byTrait)
        {
            var ids = events.Select(e => e.UserId).Distinct().ToList();
            traits = await db.TrackedUsers.AsNoTracking().Where(u => ids.Contains(u.Id))
                .ToDictionaryAsync(u => u.Id, u => JsonText.Value(u.Traits, request.Breakdown!.Key), ct);
        }

        var total = new List<Reach>();
        var groups = new Dictionary<string, List<Reach>>(StringComparer.Ordinal);
        foreach (var user in events.GroupBy(e => e.UserId))
        {
            var list = user.ToList();
            var attempts = list.Where(e => e.Name == first && e.Timestamp < endMs).ToList();
            if (attempts.Count == 0) continue;
            total.Add(Best(list, attempts, steps, windowMs));
            if (byTrait)
                GroupList(groups, traits.GetValueOrDefault(user.Key, JsonText.None)).Add(total[^1]);
            else if (byProperty)
                foreach (var g in attempts.GroupBy(a => JsonText.Value(a.Properties, request.Breakdown!.Key)))
                    GroupList(groups, g.Key).Add(Best(list, g.ToList(), steps, windowMs));
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

    private static void Add(System.Data.Common.DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }

    private static List<Reach> GroupList(Dictionary<string, List<Reach>> groups, string key) =>
        groups.TryGetValue(key, out var list) ? list : groups[key] = [];

    /// <summary>The attempt reaching furthest; the earliest among ties (attempts come in time order).</summary>
    private static Reach Best(List<Ev> events, List<Ev> attempts, IReadOnlyList<string> steps, long windowMs)
    {
        Reach? best = null;
        foreach (var start in attempts)
        {
            var reach = Follow(events, start, steps, windowMs);
            if (best is null || reach.Depth > best.Depth) best = reach;
            if (best.Depth == steps.Count) break;
        }
        return best!;
    }

    /// <summary>Fills the steps of the attempt that starts at <paramref name="start"/> greedily.</summary>
    private static Reach Follow(List<Ev> events, Ev start, IReadOnlyList<string> steps, long windowMs)
    {
        var times = new long[steps.Count];
        var used = new HashSet<long> { start.Id };
        times[0] = start.Timestamp;
        var deadline = start.Timestamp + windowMs;
        var depth = 1;
        for (; depth < steps.Count; depth++)
        {
            var previous = times[depth - 1];
            Ev? next = null;
            for (var i = FirstAtOrAfter(events, previous); i < events.Count && events[i].Timestamp <= deadline; i++)
            {
                var e = events[i];
                if (e.Name == steps[depth] && !used.Contains(e.Id)) { next = e; break; }
            }
            if (next is null) break;
            used.Add(next.Id);
            times[depth] = next.Timestamp;
        }
        return new Reach(depth, times);
    }

    /// <summary>Index of the first event at or after <paramref name="timestamp"/> (events are sorted by time).</summary>
    private static int FirstAtOrAfter(List<Ev> events, long timestamp)
    {
        int lo = 0, hi = events.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (events[mid].Timestamp < timestamp) lo = mid + 1; else hi = mid;
        }
        return lo;
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
