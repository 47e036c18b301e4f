using Dashboard.Data;
using Dashboard.Rollups;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Analytics.Funnels;

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
/// window is still open at now (now ≤ s1 + W); they stay in the counts. A breakdown by a trait of
/// the user or of their account puts each user in one group; by a property of the s1 event, a group holds the attempts whose s1
/// event has that value, so a user can appear in several groups. Missing values form "(none)".
///
/// Exclusions (<c>exclude=E</c>, written like steps): an E event strictly between step i's event
/// and the event that would fill step i+1 ends that attempt at step i; one at the same millisecond
/// as either step's event does not. A strict order ends an attempt the same way at any other
/// event of the user strictly between two steps (an exclusion event is one of them, so it ends the
/// attempt either way). Asked for (include=timeToConvert), per step from step 2 timeToConvert: the same users and gaps as the
/// median, p50 and p90 by nearest rank (the ⌈p·n⌉-th smallest) and a histogram with the upper edges
/// 1m, 5m, 1h, 1d, 7d (each bucket (previous edge, edge]) and beyond. include=trend: every ISO week from
/// the week of from to the week of to, with the users whose best attempt started in it and those of
/// them who reached the last step (each user in one week, so started sums to step 1's users).
/// <see cref="PeopleAsync"/> lists the users behind a step from the same matching.
/// </summary>
public sealed class FunnelQuery(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    private readonly FunnelPackedReader _packed = new(dbFactory);
    private readonly FunnelRawReader _raw = new(dbFactory);

    public async Task<FunnelResult> RunAsync(FunnelRequest request, CancellationToken ct = default)
    {
        var steps = request.Steps;
        var (range, reached) = await MatchAsync(request, ct);
        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var byProperty = request.Breakdown?.Source == BreakdownSource.EventProperty;

        var groups = new Dictionary<string, List<FunnelReach>>(StringComparer.Ordinal);
        if (request.Breakdown is { ByTrait: true } by)
        {
            Func<long, string> valueOf;
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
                valueOf = await by.ValuesAsync(db, reached.Select(r => r.UserId), ct);
            string TraitOf(UserReach r) => valueOf(r.UserId);
            var keep = BreakdownGroups.Keep(reached.Select(TraitOf));
            foreach (var r in reached) GroupList(groups, keep(TraitOf(r))).Add(r.Best);
        }
        else if (byProperty)
        {
            // A user with attempts under several values folded into the overflow group counts there once, at their best.
            var keep = BreakdownGroups.Keep(reached.SelectMany(r => r.ByValue!.Select(v => v.Value)));
            foreach (var r in reached)
                foreach (var group in r.ByValue!.GroupBy(v => keep(v.Value), StringComparer.Ordinal))
                    GroupList(groups, group.Key).Add(group.Select(v => v.Reach)
                        .OrderByDescending(x => x.Depth).ThenBy(x => x.StartMs).First());
        }

        var (totalSteps, totalOpen) = FunnelMatcher.Summarise(reached.Select(r => r.Best).ToList(), steps, range.WindowMs, nowMs,
            request.TimeToConvert);
        List<FunnelGroup>? breakdown = null;
        if (request.Breakdown is not null)
        {
            breakdown = groups
                .Select(g => (g.Key, Summary: FunnelMatcher.Summarise(g.Value, steps, range.WindowMs, nowMs, request.TimeToConvert)))
                .OrderBy(g => BreakdownGroups.OtherLast(g.Key))
                .ThenByDescending(g => g.Summary.Steps[0].Users).ThenBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new FunnelGroup(BreakdownGroups.Label(g.Key), g.Summary.Steps, g.Summary.Open))
                .ToList();
        }
        return new FunnelResult(totalSteps, totalOpen, breakdown,
            request.Trend ? Trend(reached, steps.Count, request.From, request.To) : null);
    }

    /// <summary>Every starter's best attempt (and, by a property of the first step's event, the best per value), as the funnel counts them.</summary>
    private async Task<(FunnelRange Range, List<UserReach> Reached)> MatchAsync(FunnelRequest request, CancellationToken ct)
    {
        var steps = request.Steps;
        if (steps.Count < 2) throw new ArgumentException("a funnel needs at least two steps", nameof(request));
        var range = new FunnelRange(UtcCalendar.StartMs(request.From), UtcCalendar.EndMs(request.To),
            (long)(request.Window ?? FunnelRequest.DefaultWindow).TotalMilliseconds);
        // Steps with the same event and conditions share their events ("names" below are these).
        var specs = steps.Select(s => FunnelSteps.Parse(s, out var error) is var spec && error is null ? spec : throw new ArgumentException(error))
            .ToList();
        var names = specs.DistinctBy(s => s.Text).ToList();
        var stepName = specs.Select(s => names.FindIndex(n => n.Text == s.Text)).ToArray();
        var byProperty = request.Breakdown?.Source == BreakdownSource.EventProperty;
        // Blockers are names too: the exclusions, or every event for a strict order.
        var blockerSpecs = (request.Exclude ?? []).Select(e => FunnelSteps.Parse(e, out var error) is var spec && error is null
            ? spec : throw new ArgumentException(error)).ToList();
        if (request.Order == FunnelOrder.Strict) blockerSpecs = [FunnelStepSpec.AnyEvent];
        // One name per text: the packed tail tells names apart by their event name.
        var blockers = blockerSpecs.Select(b => names.FindIndex(n => n.Text == b.Text) is var at and >= 0 ? at : Add(names, b)).ToArray();

        // The sequence matching is FunnelMatcher's; SQL only reads each name's events. The packed
        // timestamps (EventTimes) carry no event ids or properties; a breakdown by a property of
        // the first step's event and steps with conditions need them, so they read the events
        // themselves (and one event is then told from another by its id), as does a strict order,
        // which reads every event of the starters.
        // A cohort filters the starters by user, which the packed timestamps cannot: it reads the events too.
        if (request.Cohort is not null)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await Cohorts.CohortFilter.RequireAsync(db, request.Cohort, ct);
        }
        var packed = !byProperty && request.Order == FunnelOrder.Ordered && names.All(s => s.Where.Count == 0) && request.Cohort is null;
        var reached = packed
            ? await _packed.MatchAsync(names, stepName, blockers, range, ct)
            : await _raw.MatchAsync(names, stepName, blockers, range, byProperty ? request.Breakdown!.Key : null, ct, request.Cohort);

        return (range, reached);
    }

    /// <summary>
    /// The people behind a step of the funnel, from the same best attempts the counts use (so they
    /// add up to the step's figures): converted at step k = users whose best attempt reached step k
    /// (k = 1: everyone who started); dropped at step k (k ≥ 2) = users whose best attempt reached
    /// step k − 1 and stopped there. A breakdown is not applied. Ordered by the best attempt's start,
    /// then the user's row id; paged by a keyset cursor (start, row id).
    /// </summary>
    public async Task<FunnelPeoplePage> PeopleAsync(FunnelRequest request, int step, FunnelOutcome outcome, int limit,
        (long StartMs, long UserId)? after = null, CancellationToken ct = default)
    {
        if (step < (outcome == FunnelOutcome.Dropped ? 2 : 1) || step > request.Steps.Count)
            throw new ArgumentOutOfRangeException(nameof(step));
        var (_, reached) = await MatchAsync(request with { Breakdown = null }, ct);
        var rows = reached
            .Where(r => outcome == FunnelOutcome.Dropped ? r.Best.Depth == step - 1 : r.Best.Depth >= step)
            .Where(r => after is not { } a || r.Best.StartMs > a.StartMs || (r.Best.StartMs == a.StartMs && r.UserId > a.UserId))
            .OrderBy(r => r.Best.StartMs).ThenBy(r => r.UserId)
            .Take(limit + 1).ToList();
        var page = rows.Take(limit).ToList();
        var ids = page.Select(r => r.UserId).ToList();
        Dictionary<long, string> keys;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            keys = await db.TrackedUsers.AsNoTracking().Where(u => ids.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Key, ct);
        var people = page.Select(r => new FunnelPerson(keys.GetValueOrDefault(r.UserId, ""), r.Best.Depth,
            DateTimeOffset.FromUnixTimeMilliseconds(r.Best.StartMs), DateTimeOffset.FromUnixTimeMilliseconds(r.Best.Times[r.Best.Depth - 1]))).ToList();
        (long, long)? next = rows.Count > limit ? (page[^1].Best.StartMs, page[^1].UserId) : null;
        return new FunnelPeoplePage(people, next);
    }

    /// <summary>Per ISO week from the week of <paramref name="from"/> to that of <paramref name="to"/>: best attempts started and finished.</summary>
    private static List<FunnelWeek> Trend(List<UserReach> reached, int stepCount, DateOnly from, DateOnly to)
    {
        var (first, last) = (UtcCalendar.WeekStart(from), UtcCalendar.WeekStart(to));
        var weeks = (last.DayNumber - first.DayNumber) / 7 + 1;
        var (started, converted) = (new int[weeks], new int[weeks]);
        foreach (var r in reached)
        {
            var w = (UtcCalendar.WeekStart(UtcCalendar.Day(r.Best.StartMs)).DayNumber - first.DayNumber) / 7;
            started[w]++;
            if (r.Best.Depth == stepCount) converted[w]++;
        }
        return Enumerable.Range(0, weeks).Select(w => new FunnelWeek(first.AddDays(7 * w), started[w], converted[w],
            started[w] == 0 ? null : (double)converted[w] / started[w])).ToList();
    }

    private static int Add(List<FunnelStepSpec> names, FunnelStepSpec name)
    {
        names.Add(name);
        return names.Count - 1;
    }

    private static List<FunnelReach> GroupList(Dictionary<string, List<FunnelReach>> groups, string key) =>
        groups.TryGetValue(key, out var list) ? list : groups[key] = [];
}
