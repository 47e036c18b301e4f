using System.Collections.Concurrent;

namespace Dashboard.Access;

/// <summary>
/// Slows password guessing without handing anyone a way to lock others out. Failures are counted
/// per client address and user name: after <see cref="MaxFailures"/> failures within
/// <see cref="Window"/>, that address may not try that user name again until the window has passed
/// since its oldest counted failure. A stranger elsewhere can therefore not keep the well-known
/// <c>admin</c> account out, which an account-wide lockout would allow. Each address also has a
/// budget over all user names, so spraying many names from one place is limited too.
/// </summary>
public sealed class SignInThrottle(TimeProvider clock)
{
    public const int MaxFailures = 5;
    public const int MaxFailuresPerAddress = 20;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);
    private const int PruneAbove = 10_000;

    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.Ordinal);

    /// <summary>True when this address may try this user name now.</summary>
    public bool IsAllowed(string? address, string userName)
    {
        var now = clock.GetUtcNow();
        return Count(PairKey(address, userName), now) < MaxFailures
            && Count(AddressKey(address), now) < MaxFailuresPerAddress;
    }

    public void RecordFailure(string? address, string userName)
    {
        var now = clock.GetUtcNow();
        Add(PairKey(address, userName), now);
        Add(AddressKey(address), now);
        if (_failures.Count > PruneAbove) Prune(now);
    }

    /// <summary>A successful sign-in clears the address's count for that user name.</summary>
    public void RecordSuccess(string? address, string userName) => _failures.TryRemove(PairKey(address, userName), out _);

    private static string PairKey(string? address, string userName) => $"{address ?? "-"}\n{userName.Trim().ToUpperInvariant()}";
    private static string AddressKey(string? address) => address ?? "-";

    private int Count(string key, DateTimeOffset now)
    {
        if (!_failures.TryGetValue(key, out var times)) return 0;
        lock (times)
        {
            while (times.Count > 0 && now - times.Peek() >= Window) times.Dequeue();
            return times.Count;
        }
    }

    private void Add(string key, DateTimeOffset now)
    {
        var times = _failures.GetOrAdd(key, _ => new Queue<DateTimeOffset>());
        lock (times) times.Enqueue(now);
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, _) in _failures)
            if (Count(key, now) == 0) _failures.TryRemove(key, out _);
    }
}
