using Dashboard.Live;
using Microsoft.Extensions.Time.Testing;

namespace Dashboard.Tests.Live;

public sealed class RefreshThrottleTests
{
    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public async Task RequestAsync_CheapRefreshes_RunAtMostOncePerInterval()
    {
        var runs = 0;
        var throttle = new RefreshThrottle(_clock, TimeSpan.FromSeconds(1), () => { runs++; return Task.CompletedTask; });

        await throttle.RequestAsync(); // nothing ran before: at once
        var second = throttle.RequestAsync();
        var folded = throttle.RequestAsync(); // folds into the waiting one

        Assert.Equal(1, runs);
        await folded;
        _clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(second.IsCompleted);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        await second;
        Assert.Equal(2, runs);
    }

    [Fact]
    public async Task RequestAsync_SlowRefresh_WaitsTenTimesItsCostBeforeTheNext()
    {
        var runs = 0;
        var throttle = new RefreshThrottle(_clock, TimeSpan.FromSeconds(1), () =>
        {
            runs++;
            _clock.Advance(TimeSpan.FromSeconds(2)); // the query took two seconds
            return Task.CompletedTask;
        });

        await throttle.RequestAsync();
        Assert.Equal(TimeSpan.FromSeconds(20), throttle.Interval);
        var next = throttle.RequestAsync();
        _clock.Advance(TimeSpan.FromSeconds(19));
        Assert.False(next.IsCompleted);
        _clock.Advance(TimeSpan.FromSeconds(1));
        await next;

        Assert.Equal(2, runs);
    }

    [Fact]
    public void Ran_VerySlowFirstLoad_CapsTheIntervalAtTwoMinutes()
    {
        var throttle = new RefreshThrottle(_clock, TimeSpan.FromSeconds(1), () => Task.CompletedTask);

        throttle.Ran(TimeSpan.FromSeconds(40));
        Assert.Equal(RefreshThrottle.MaxInterval, throttle.Interval);
        throttle.Ran(TimeSpan.FromMilliseconds(50));
        Assert.Equal(TimeSpan.FromSeconds(1), throttle.Interval);
    }

    [Fact]
    public async Task RequestAsync_DuringARun_WaitsForItsEndAndThenTheInterval()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        var throttle = new RefreshThrottle(_clock, TimeSpan.FromSeconds(1), async () => { runs++; await release.Task; });

        var first = throttle.RequestAsync();
        var second = throttle.RequestAsync(); // arrives while the first still runs: nothing ran before, yet it waits
        await Task.Delay(20);
        Assert.Equal(1, runs);

        release.SetResult();
        await first;
        Assert.False(second.IsCompleted); // the interval counts from the first run's end
        for (var i = 0; i < 200 && !second.IsCompleted; i++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(5);
        }
        await second;
        Assert.Equal(2, runs);
    }
}
