using Dashboard.Analytics.Funnels;

namespace Dashboard.Tests.Analytics.Funnels;

/// <summary>The step matching over in-memory events, with hand-computed answers; no database.</summary>
public sealed class FunnelMatcherTests
{
    // Every range starts at 0, starts run to 1000 and the window is 100 ms unless a test says otherwise.
    private static readonly FunnelRange Range = new(0, 1000, 100);

    /// <summary>One name's events: per user, their timestamps in order; ids when given (else none, as the packed read).</summary>
    private static FunnelEvents Events(long[][] perUser, long[][]? ids = null)
    {
        var (starts, ends) = (new int[perUser.Length], new int[perUser.Length]);
        var at = 0;
        for (var u = 0; u < perUser.Length; u++) (starts[u], ends[u], at) = (at, at + perUser[u].Length, at + perUser[u].Length);
        return new FunnelEvents(starts, ends, [.. perUser.SelectMany(t => t)], ids is null ? [] : [.. ids.SelectMany(i => i)]);
    }

    private static List<UserReach> Match(FunnelEvents[] perName, int[] stepName, FunnelRange? range = null, bool ids = false,
        Func<int, string>? valueOf = null, int[]? blockers = null)
    {
        var into = new List<UserReach>();
        FunnelMatcher.MatchUsers(perName, stepName, blockers ?? [], perName[0].Starts.Length, u => 100 + u, range ?? Range, ids, valueOf,
            into);
        return into;
    }

    /// <summary>A best attempt as "depth: time time …", the times of the steps it reached.</summary>
    private static string Shown(FunnelReach reach) => $"{reach.Depth}: {string.Join(' ', reach.Times[..reach.Depth])}";

    private static string Only(List<UserReach> reached) => Shown(Assert.Single(reached).Best);

    [Fact]
    public void MatchUsers_NoUsers_ReachesNobody()
    {
        var reached = Match([Events([]), Events([])], [0, 1]);

        Assert.Empty(reached);
    }

    [Fact]
    public void MatchUsers_LaterStepsWithoutFirst_NeverStarts()
    {
        // User 0 has only B; user 1 has A at 1000, the end of the starts (excluded).
        var reached = Match([Events([[], [1000]]), Events([[5], [1001]])], [0, 1]);

        Assert.Empty(reached);
    }

    [Fact]
    public void MatchUsers_TieInTimestamps_NextStepAtTheSameInstantCounts()
    {
        // A at 10, B at 10: B is at or after A.
        var reached = Match([Events([[10]]), Events([[10]])], [0, 1]);

        Assert.Equal("2: 10 10", Only(reached));
        Assert.Equal(100, reached[0].UserId);
    }

    [Fact]
    public void MatchUsers_StepBeforeThePrevious_DoesNotCount()
    {
        // B at 9 comes before A at 10; the B at 50 counts.
        var reached = Match([Events([[10]]), Events([[9, 50]])], [0, 1]);

        Assert.Equal("2: 10 50", Only(reached));
    }

    [Fact]
    public void MatchUsers_RepeatedStepWithOneEvent_NeedsASecondEvent()
    {
        // Steps A, A share name 0: one event cannot fill both.
        var reached = Match([Events([[10]])], [0, 0]);

        Assert.Equal("1: 10", Only(reached));
    }

    [Fact]
    public void MatchUsers_RepeatedStepTiedEvents_SecondEventAtTheSameInstantFills()
    {
        // Steps A, A with two A events at 10: the second (in storage order) fills step 2.
        var reached = Match([Events([[10, 10]])], [0, 0]);

        Assert.Equal("2: 10 10", Only(reached));
    }

    [Fact]
    public void MatchUsers_RepeatedStepAfterAnother_UsesALaterEvent()
    {
        // Steps A, B, A. User 0: A 0, B 10, A 20 → 3. User 1: A 0, A 5, B 10 → the third step needs an A at or
        // after 10, there is none → 2 (the attempt at 0 and at 5 both reach 2; the earlier one is kept).
        var reached = Match([Events([[0, 20], [0, 5]]), Events([[10], [10]])], [0, 1, 0]);

        Assert.Equal(2, reached.Count);
        Assert.Equal("3: 0 10 20", Shown(reached[0].Best));
        Assert.Equal("2: 0 10", Shown(reached[1].Best));
    }

    [Fact]
    public void MatchUsers_WindowBoundary_ExactlyTheWindowCountsOneMoreDoesNot()
    {
        // Window 100 from the first step. User 0: B at 100 → 2. User 1: B at 101 → 1.
        var reached = Match([Events([[0], [0]]), Events([[100], [101]])], [0, 1]);

        Assert.Equal([2, 1], reached.Select(r => r.Best.Depth));
    }

    [Fact]
    public void MatchUsers_WindowRunsFromTheFirstStep_NotFromThePrevious()
    {
        // A 0, B 60, C 110: C is 50 after B but 110 after A → 2.
        var reached = Match([Events([[0]]), Events([[60]]), Events([[110]])], [0, 1, 2]);

        Assert.Equal("2: 0 60", Only(reached));
    }

    [Fact]
    public void MatchUsers_LaterAttemptReachesFurther_IsTheBest()
    {
        // A 0 and A 200, B 250: the attempt at 0 has no B within 100; the one at 200 reaches 2.
        var reached = Match([Events([[0, 200]]), Events([[250]])], [0, 1]);

        Assert.Equal("2: 200 250", Only(reached));
    }

    [Fact]
    public void MatchUsers_AttemptsTie_EarliestStartIsTheBest()
    {
        // A 0 and A 30, B 40: both reach 2; the attempt at 0 is kept.
        var reached = Match([Events([[0, 30]]), Events([[40]])], [0, 1]);

        Assert.Equal("2: 0 40", Only(reached));
    }

    [Fact]
    public void MatchUsers_StartsOnlyBeforeTheEnd_StepsMayFollowAfter()
    {
        // Starts end at 1000: A 999 starts, its B at 1050 counts; A 1000 does not start.
        var reached = Match([Events([[999], [1000]]), Events([[1050], [1050]])], [0, 1]);

        Assert.Equal("2: 999 1050", Only(reached));
    }

    [Fact]
    public void MatchUsers_SharedEventByIds_FillsOneStepOnly()
    {
        // Steps VIEW and VIEW[plan=pro] are two names that hold the same event (id 7 at 10). By id it fills one
        // step; user 1 also has a second pro view (id 8 at 20) → 2.
        var views = Events([[10], [10]], [[7], [7]]);
        var pro = Events([[10], [10, 20]], [[7], [7, 8]]);

        var reached = Match([views, pro], [0, 1], ids: true);

        Assert.Equal(["1: 10", "2: 10 20"], reached.Select(r => Shown(r.Best)));
    }

    [Fact]
    public void MatchUsers_ByValue_BestAttemptPerValue()
    {
        // A 0 (web), A 200 (app), B 250: web reaches 1, app reaches 2.
        var values = new[] { "web", "app" };
        var reached = Match([Events([[0, 200]]), Events([[250]])], [0, 1], valueOf: p => values[p]);

        var byValue = Assert.Single(reached).ByValue!;
        Assert.Equal([("web", 1), ("app", 2)], byValue.Select(v => (v.Value, v.Reach.Depth)));
    }

    [Fact]
    public void Summarise_NoUsers_ZeroCountsAndNoRates()
    {
        var (steps, open) = FunnelMatcher.Summarise([], ["A", "B"], 100, 0);

        Assert.Equal([new FunnelStep("A", 0, null, null, null), new FunnelStep("B", 0, null, null, null)], steps);
        Assert.Equal(0, open);
    }

    [Fact]
    public void Summarise_MixedDepths_CountsRatesMediansAndOpenWindows()
    {
        // Four users over A, B, C (window 100, now 150):
        //   started 0: A 0, B 10, C 40   → 3 (gaps 10 ms, 30 ms)
        //   started 0: A 0, B 20         → 2 (gap 20 ms), window closed at 100
        //   started 60: A 60, B 90       → 2 (gap 30 ms), window open until 160
        //   started 50: A 50             → 1, window open until 150 (exactly now counts)
        // B: 3 users, 3/4 and 3/4, gaps 10 20 30 → median 0.02 s. C: 1, 1/4 and 1/3, median 0.03 s. Open 2.
        List<FunnelReach> users = [new(3, [0, 10, 40]), new(2, [0, 20, 0]), new(2, [60, 90, 0]), new(1, [50, 0, 0])];

        var (steps, open) = FunnelMatcher.Summarise(users, ["A", "B", "C"], 100, 150);

        Assert.Equal(
        [
            new FunnelStep("A", 4, 1.0, 1.0, null),
            new FunnelStep("B", 3, 0.75, 0.75, 0.02),
            new FunnelStep("C", 1, 0.25, 1.0 / 3, 0.03),
        ], steps);
        Assert.Equal(2, open);
    }

    [Fact]
    public void Summarise_EvenCount_MedianIsTheMeanOfTheMiddleTwo()
    {
        List<FunnelReach> users = [new(2, [0, 1000]), new(2, [0, 4000])];

        var (steps, _) = FunnelMatcher.Summarise(users, ["A", "B"], 10_000, 0);

        Assert.Equal(2.5, steps[1].MedianSecondsFromPrevious);
    }

    [Theory]
    // Steps A, B, C; exclusion X (name 3). A at 10, B at 20, C at 30.
    [InlineData(new long[] { 15 }, "1: 10")]        // X strictly between A and B: ends at A
    [InlineData(new long[] { 25 }, "2: 10 20")]     // X between B and C: ends at B
    [InlineData(new long[] { 10 }, "3: 10 20 30")]  // X at the same millisecond as A: not between
    [InlineData(new long[] { 20 }, "3: 10 20 30")]  // X at the same millisecond as B: not between
    [InlineData(new long[] { 5, 35 }, "3: 10 20 30")] // before the start and after the last step: no effect
    public void MatchUsers_Exclusion_EndsTheAttemptWhenStrictlyBetweenSteps(long[] excluded, string expected)
    {
        var reached = Match([Events([[10]]), Events([[20]]), Events([[30]]), Events([excluded])], [0, 1, 2], blockers: [3]);

        Assert.Equal(expected, Only(reached));
    }

    [Fact]
    public void MatchUsers_ExclusionWithRepeatedStart_ALaterAttemptConverts()
    {
        // A at 10 and 30, X at 20, B at 40: the first attempt ends at A, the second (30 → 40) converts.
        var reached = Match([Events([[10, 30]]), Events([[40]]), Events([[20]])], [0, 1], blockers: [2]);

        Assert.Equal("2: 30 40", Only(reached));
    }

    [Fact]
    public void MatchUsers_ExclusionWithRepeatedStep_EndsAtTheStepBefore()
    {
        // Steps A, B, B (name 1 twice); B at 20 and 40, X at 30: A → B(20), then X before B(40): depth 2.
        var reached = Match([Events([[10]]), Events([[20, 40]]), Events([[30]])], [0, 1, 1], blockers: [2]);

        Assert.Equal("2: 10 20", Only(reached));
    }

    [Fact]
    public void MatchUsers_StrictOrder_AnyOtherEventBetweenEndsTheAttempt()
    {
        // Every event of each user is the blocker name 2. User 0: A 10, B 20 only; user 1: A 10, other 15, B 20;
        // user 2: A 10, other at 10 and at 20 (ties), B 20; user 3: A 10, A 12, B 20 (the second A starts a strict attempt).
        var all = Events([[10, 20], [10, 15, 20], [10, 10, 20, 20], [10, 12, 20]]);
        var reached = Match([Events([[10], [10], [10], [10, 12]]), Events([[20], [20], [20], [20]]), all], [0, 1], blockers: [2]);

        Assert.Equal(["2: 10 20", "1: 10", "2: 10 20", "2: 12 20"], reached.Select(r => Shown(r.Best)));
    }

    [Fact]
    public void Summarise_TimeToConvert_NearestRankAndBuckets()
    {
        // Five users reach B after 30 s, 60 s, 61 s, 2 h and 8 days: p50 = 3rd smallest = 61 s, p90 = 5th (⌈4.5⌉) = 8 days.
        long[] gaps = [30_000, 60_000, 61_000, 7_200_000, 8 * 86_400_000L];
        var users = gaps.Select(g => new FunnelReach(2, [0, g])).ToList();

        var (steps, _) = FunnelMatcher.Summarise(users, ["A", "B"], 100, 0, timeToConvert: true);

        Assert.Null(steps[0].TimeToConvert);
        var time = steps[1].TimeToConvert!;
        Assert.Equal(61, time.P50);
        Assert.Equal(8 * 86_400, time.P90);
        Assert.Equal([new(60, 2), new(300, 1), new(3600, 0), new(86400, 1), new(604800, 0), new(null, 1)], time.Histogram);
        Assert.Equal(61, steps[1].MedianSecondsFromPrevious);
    }

    [Fact]
    public void Summarise_TimeToConvertNobodyReached_NullPercentilesEmptyBuckets()
    {
        var (steps, _) = FunnelMatcher.Summarise([new FunnelReach(1, [0, 0])], ["A", "B"], 100, 0, timeToConvert: true);

        Assert.Null(steps[1].TimeToConvert!.P50);
        Assert.Null(steps[1].TimeToConvert!.P90);
        Assert.All(steps[1].TimeToConvert!.Histogram, b => Assert.Equal(0, b.Users));
    }

    [Fact]
    public void Summarise_WithoutTimeToConvert_LeavesItOut()
    {
        var (steps, _) = FunnelMatcher.Summarise([new FunnelReach(2, [0, 5])], ["A", "B"], 100, 0);

        Assert.All(steps, s => Assert.Null(s.TimeToConvert));
    }
}
