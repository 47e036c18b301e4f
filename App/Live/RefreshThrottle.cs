namespace Dashboard.Live;

/// <summary>
/// Runs a page's refresh at most once per interval. Requests during the wait fold into the one
/// waiting run, which reads after them, so the last change of a burst is always shown.
/// Call from the component's synchronization context (inside <c>InvokeAsync</c>).
/// </summary>
public sealed class RefreshThrottle(TimeProvider clock, TimeSpan interval, Func<Task> refresh)
{
    private bool _pending;
    private long? _last;

    public async Task RequestAsync()
    {
        if (_pending) return;
        _pending = true;
        var wait = _last is { } last ? interval - clock.GetElapsedTime(last) : TimeSpan.Zero;
        if (wait > TimeSpan.Zero) await Task.Delay(wait, clock);
        _pending = false;
        _last = clock.GetTimestamp();
        await refresh();
    }
}
