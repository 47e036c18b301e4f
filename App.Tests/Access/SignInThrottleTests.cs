using Dashboard.Access;
using Dashboard.Tests.TestSupport;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Access;

public sealed class SignInThrottleTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private readonly ManualClock _clock = new();
    private SignInThrottle NewThrottle() => new(_clock, new UpperInvariantLookupNormalizer());

    [Fact]
    public void IsAllowed_FiveFailuresFromOneAddress_BlocksOnlyThatAddressAndName()
    {
        var throttle = NewThrottle();
        for (var i = 0; i < SignInThrottle.MaxFailures - 1; i++) throttle.TryReserve("198.51.100.1", "admin");
        Assert.True(throttle.IsAllowed("198.51.100.1", "admin"));

        throttle.TryReserve("198.51.100.1", "admin");

        Assert.False(throttle.IsAllowed("198.51.100.1", "admin"));
        Assert.False(throttle.IsAllowed("198.51.100.1", "ADMIN"));
        Assert.True(throttle.IsAllowed("198.51.100.2", "admin"));
        Assert.True(throttle.IsAllowed("198.51.100.1", "maria"));
    }

    [Fact]
    public async Task TryReserve_NamesThatIdentityLooksUpAsOne_ShareTheirCount()
    {
        await using var factory = new DashboardFactory();
        var throttle = factory.Services.GetRequiredService<SignInThrottle>();
        using (var scope = factory.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
            Assert.Equal(users.NormalizeName("Cafe\u0301"), users.NormalizeName("caf\u00e9")); // one account for Identity
        }

        // The same name, composed and decomposed, as Identity finds one account under both.
        for (var i = 0; i < SignInThrottle.MaxFailures; i++) throttle.TryReserve("198.51.100.1", "Cafe\u0301");

        Assert.False(throttle.IsAllowed("198.51.100.1", "caf\u00e9"));
        Assert.True(throttle.IsAllowed("198.51.100.1", "cafe"));
    }

    [Fact]
    public void IsAllowed_WindowPassedSinceOldestFailure_AllowsAgain()
    {
        var throttle = NewThrottle();
        for (var i = 0; i < SignInThrottle.MaxFailures; i++)
        {
            throttle.TryReserve("198.51.100.1", "admin");
            _clock.Now += TimeSpan.FromSeconds(10);
        }
        Assert.False(throttle.IsAllowed("198.51.100.1", "admin"));

        // The oldest failure leaves the window 5 minutes after it happened; one slot opens.
        _clock.Now = _clock.Now - TimeSpan.FromSeconds(50) + SignInThrottle.Window - TimeSpan.FromSeconds(1);
        Assert.False(throttle.IsAllowed("198.51.100.1", "admin"));
        _clock.Now += TimeSpan.FromSeconds(1);
        Assert.True(throttle.IsAllowed("198.51.100.1", "admin"));
    }

    [Fact]
    public void IsAllowed_ManyNamesFromOneAddress_HitsTheAddressBudget()
    {
        var throttle = NewThrottle();
        for (var i = 0; i < SignInThrottle.MaxFailuresPerAddress; i++) throttle.TryReserve("198.51.100.1", $"user{i}");

        Assert.False(throttle.IsAllowed("198.51.100.1", "someone-new"));
        Assert.True(throttle.IsAllowed("198.51.100.7", "someone-new"));
    }

    [Fact]
    public void RecordSuccess_ClearsTheCountForThatName()
    {
        var throttle = NewThrottle();
        for (var i = 0; i < SignInThrottle.MaxFailures - 1; i++) throttle.TryReserve("198.51.100.1", "admin");

        var attempt = throttle.TryReserve("198.51.100.1", "admin");
        Assert.NotNull(attempt);
        throttle.RecordSuccess(attempt.Value);
        throttle.TryReserve("198.51.100.1", "admin");

        Assert.True(throttle.IsAllowed("198.51.100.1", "admin"));
    }

    [Fact]
    public void TryReserve_NoRoomLeft_ReturnsNullAndCountsNothing()
    {
        var throttle = NewThrottle();
        for (var i = 0; i < SignInThrottle.MaxFailures; i++) Assert.NotNull(throttle.TryReserve("198.51.100.1", "admin"));

        Assert.Null(throttle.TryReserve("198.51.100.1", "admin"));
        // The refused attempt did not use up the address budget: other names still have all but five.
        for (var i = 0; i < SignInThrottle.MaxFailuresPerAddress - SignInThrottle.MaxFailures; i++)
            Assert.NotNull(throttle.TryReserve("198.51.100.1", $"user{i}"));
        Assert.Null(throttle.TryReserve("198.51.100.1", "one-more"));
    }

    [Fact]
    public void TryReserve_ManyAddressesWithinAMinute_PrunesOnlyWhenTheKeysDouble()
    {
        var throttle = NewThrottle();
        // Each attempt from a new address adds two keys (the address, and the address with the name).
        for (var i = 0; i < SignInThrottle.PruneAbove; i++) throttle.TryReserve($"a{i}", "admin");

        Assert.Equal(1, throttle.Prunes); // once past 10,000 keys, not on every attempt after it
        Assert.Equal(2 * SignInThrottle.PruneAbove, throttle.Keys);
    }

    [Fact]
    public void TryReserve_IntervalPassedSinceThePrune_PrunesAgainAndDropsExpiredKeys()
    {
        var throttle = NewThrottle();
        for (var i = 0; i <= SignInThrottle.PruneAbove / 2; i++) throttle.TryReserve($"a{i}", "admin");
        Assert.Equal(1, throttle.Prunes);

        _clock.Now += SignInThrottle.PruneInterval / 2;
        throttle.TryReserve("soon", "admin");
        Assert.Equal(1, throttle.Prunes);

        _clock.Now += SignInThrottle.Window;
        throttle.TryReserve("late", "admin");
        Assert.Equal(2, throttle.Prunes);
        Assert.Equal(2, throttle.Keys); // only the late attempt's address and pair are still in the window
    }

    [Fact]
    public void TryReserve_MoreAddressesThanTheCapWithinTheWindow_DropsTheOldestAndKeepsRecentCounts()
    {
        var throttle = NewThrottle();
        for (var i = 0; i < SignInThrottle.MaxKeys; i++)
        {
            throttle.TryReserve($"a{i}", "admin");
            if (i % 1000 == 0) _clock.Now += TimeSpan.FromMilliseconds(1);
        }
        for (var i = 0; i < SignInThrottle.MaxFailures; i++) throttle.TryReserve("recent", "admin");

        Assert.InRange(throttle.Keys, 1, SignInThrottle.MaxKeys);
        Assert.False(throttle.IsAllowed("recent", "admin"));
    }

    [Fact]
    public void TryReserve_ManyThreadsAtOnce_GrantsExactlyTheBudget()
    {
        var throttle = NewThrottle();
        var granted = 0;
        Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            if (throttle.TryReserve("198.51.100.1", "admin") is not null) Interlocked.Increment(ref granted);
        });
        Assert.Equal(SignInThrottle.MaxFailures, granted);
    }
}
