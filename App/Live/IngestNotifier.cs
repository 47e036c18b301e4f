namespace Dashboard.Live;

/// <summary>
/// Tells open pages that new events were committed. Singleton; subscribers get a disposable
/// subscription and are called on the writer's thread, so components marshal with InvokeAsync.
/// </summary>
public sealed class IngestNotifier(ILogger<IngestNotifier> logger)
{
    private readonly Lock _gate = new();
    private readonly List<Func<int, Task>> _subscribers = [];

    public IDisposable Subscribe(Func<int, Task> onCommitted)
    {
        lock (_gate) _subscribers.Add(onCommitted);
        return new Subscription(this, onCommitted);
    }

    public void Publish(int acceptedEvents)
    {
        if (acceptedEvents == 0) return;
        Func<int, Task>[] targets;
        lock (_gate) targets = [.. _subscribers];
        foreach (var t in targets) _ = SafeInvoke(t, acceptedEvents);
    }

    private async Task SafeInvoke(Func<int, Task> target, int count)
    {
        try { await target(count); }
        catch (ObjectDisposedException) { /* the page went away */ }
        catch (Exception ex) { logger.LogWarning(ex, "A page failed to refresh after new events"); }
    }

    private sealed class Subscription(IngestNotifier owner, Func<int, Task> target) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._gate) owner._subscribers.Remove(target);
        }
    }
}
