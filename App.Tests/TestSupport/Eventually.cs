namespace Dashboard.Tests.TestSupport;

/// <summary>Waits for something by reading it until it holds, instead of sleeping a fixed time.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>Reads until <paramref name="done"/> holds for the value read and returns it; when the timeout passes first, the last value read.</summary>
    public static async Task<T> ReadAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow >= deadline) return value;
            await Task.Delay(Interval);
        }
    }

    /// <summary>Waits until the condition holds; a <see cref="TimeoutException"/> when it does not in time.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        if (!await ReadAsync(condition, ok => ok, timeout)) throw new TimeoutException("the condition did not hold in time");
    }
}
