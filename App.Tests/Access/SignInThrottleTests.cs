using Dashboard.Access;

namespace Dashboard.Tests.Access;

public sealed class SignInThrottleTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private readonly ManualClock _clock = new();
    private SignInThrottle NewThrottle() => new(_clock);

    [Fact]
    public void IsAllowed_FiveFailuresFromOneAddress_BlocksOnlyThatAddressAndName()
    {
        var throttle = NewThrottle();
        for (var i = 0; i < SignInThrottle.MaxFailures - 1; i++) throttle.RecordFailure("198.51.100.1", "admin");
        Assert.True(throttle.IsAllowed("198.51.100.1", "admin"));

        throttle.RecordFailure("198.51.100.1", "admin");

        Assert.False(throttle.IsAllowed("198.51.100.1", "admin"));
        Assert.False(throttle.IsAllowed("198.51.100.1", " ADMIN "));
        Assert.True(throttle.IsAllowed("198.51.100.2", "admin"));
        Assert.True(throttle.IsAllowed("198.51.100.1", "maria"));
    }

    [Fact]
    public void IsAllowed_WindowPassedSinceOldestFailure_AllowsAgain()
    {
        var throttle = NewThrottle();
        for (var i = 0; i < SignInThrottle.MaxFailures; i++)
        {
            throttle.RecordFailure("198.51.100.1", "admin");
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
        for (var i = 0; i < SignInThrottle.MaxFailuresPerAddress; i++) throttle.RecordFailure("198.51.100.1", $"user{i}");

        Assert.False(throttle.IsAllowed("198.51.100.1", "someone-new"));
        Assert.True(throttle.IsAllowed("198.51.100.7", "someone-new"));
    }

    [Fact]
    public void RecordSuccess_ClearsTheCountForThatName()
    {
        var throttle = NewThrottle();
        for (var i = 0; i < SignInThrottle.MaxFailures - 1; i++) throttle.RecordFailure("198.51.100.1", "admin");

        throttle.RecordSuccess("198.51.100.1", "admin");
        throttle.RecordFailure("198.51.100.1", "admin");

        Assert.True(throttle.IsAllowed("198.51.100.1", "admin"));
    }
}
