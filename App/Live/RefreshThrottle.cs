namespace Dashboard.Live;

/// <summary>
/// Runs a page's refresh at most once per interval, and less often the more a refresh costs: the
/// next one waits <see cref="CostFactor"/> times as long as the last took (a 2-second query
/// refreshes at most every 20 seconds), up to <see cref="MaxInterval"/>, so a live page never keeps
/// the store busy more than a tenth of the time. Requests during the wait fold into the one waiting
/// run, which reads after them, so the last change of a burst is always shown. Call from the
/// component's synchronization context (inside <c>InvokeAsync</c>).
/// </summary>
public sealed class RefreshThrottle(TimeProvider clock, TimeSpan interval, Func<Task> refresh)
{
    public const int CostFactor = 10;
    public static readonly TimeSpan MaxInterval = TimeSpan.FromMinutes(2);

    private bool _pending;
    private Task? _running; // the last run; awaiting it once it has ended costs nothing
    private long? _last;
    private TimeSpan _cost;

    /// <summary>The least time between the end of one refresh and the start of the next.</summary>
    public TimeSpan Interval
    {
        get
        {
            var scaled = _cost * CostFactor;
            return scaled > interval ? (scaled < MaxInterval ? scaled : MaxInterval) : interval;
        }
    }

    public async Task RequestAsync()
    {
        if (_pending) return;
        _pending = true;
        // One refresh at a time: a request during a run waits for its end, then for the interval.
        if (_running is { } running) await Task.WhenAny(running); // its failure is its own
        var wait = _last is { } last ? Interval - clock.GetElapsedTime(last) : TimeSpan.Zero;
        if (wait > TimeSpan.Zero) await Task.Delay(wait, clock);
        _pending = false;
        await (_running = RunAsync());
    }

    private async Task RunAsync()
    {
        var started = clock.GetTimestamp();
        try
        {
            await refresh();
        }
        finally
        {
            Ran(clock.GetElapsedTime(started));
        }
    }

    /// <summary>Tells the throttle that the view was just loaded another way (the first load), and what it cost.</summary>
    public void Ran(TimeSpan cost)
    {
        _cost = cost;
        _last = clock.GetTimestamp();
    }
}
