namespace Dashboard.Live;

/// <summary>
/// Runs a page's refresh at most once per interval. Requests during the wait fold into the one
/// waiting run, which reads after them, so the last change of a burst is always shown.
/// Call from the component's synchronization context (inside <c>InvokeAsync</c>).
/// </summary>
public sealed class RefreshThrottle(TimeSpan interval, Func<Task> refresh)
{
    private bool _pending;
    private long _last;

    public async Task RequestAsync()
    {
        if (_pending) return;
        _pending = true;
        var wait = (long)interval.TotalMilliseconds - (Environment.TickCount64 - _last);
        if (wait > 0) await Task.Delay(TimeSpan.FromMilliseconds(wait));
        _pending = false;
        _last = Environment.TickCount64;
        await refresh();
    }
}
