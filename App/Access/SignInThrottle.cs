namespace Dashboard.Access;

/// <summary>
/// Slows password guessing without handing anyone a way to lock others out. Attempts are counted
/// per client address (an IPv6 client by its /64, see <see cref="ClientAddress"/>) and user name:
/// after <see cref="MaxFailures"/> counted attempts within <see cref="Window"/>, that address may
/// not try that user name again until the window has passed since its oldest counted attempt. A
/// stranger elsewhere can therefore not keep the well-known <c>admin</c> account out, which an
/// account-wide lockout would allow. Each address also has a budget over all user names, so
/// spraying many names from one place is limited too.
/// <para>
/// An attempt is reserved before the password is checked (<see cref="TryReserve"/>) and counted
/// as a failure unless it succeeds, so parallel requests cannot all pass the check before the
/// first failure is recorded: the check and the count are one step under one lock.
/// </para>
/// </summary>
public sealed class SignInThrottle(TimeProvider clock)
{
    public const int MaxFailures = 5;
    public const int MaxFailuresPerAddress = 20;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);
    private const int PruneAbove = 10_000;

    private readonly object _gate = new();
    private readonly Dictionary<string, List<DateTimeOffset>> _attempts = new(StringComparer.Ordinal);

    /// <summary>A reserved attempt; give it back with <see cref="RecordSuccess"/> when the password was right.</summary>
    public readonly record struct Reservation(string PairKey, string AddressKey, DateTimeOffset At);

    /// <summary>True when this address may try this user name now (nothing is reserved).</summary>
    public bool IsAllowed(string? address, string userName)
    {
        lock (_gate) return Allowed(PairKey(address, userName), AddressKey(address), clock.GetUtcNow());
    }

    /// <summary>
    /// Checks the budgets and, when there is room, counts this attempt in the same step; null when
    /// the address must wait.
    /// </summary>
    public Reservation? TryReserve(string? address, string userName)
    {
        var now = clock.GetUtcNow();
        var pair = PairKey(address, userName);
        var addressKey = AddressKey(address);
        lock (_gate)
        {
            if (!Allowed(pair, addressKey, now)) return null;
            Add(pair, now);
            Add(addressKey, now);
            if (_attempts.Count > PruneAbove) Prune(now);
            return new Reservation(pair, addressKey, now);
        }
    }

    /// <summary>A successful sign-in clears the address's count for that user name and hands back its slot of the address budget.</summary>
    public void RecordSuccess(Reservation reservation)
    {
        lock (_gate)
        {
            _attempts.Remove(reservation.PairKey);
            if (_attempts.TryGetValue(reservation.AddressKey, out var times)) times.Remove(reservation.At);
        }
    }

    private static string PairKey(string? address, string userName) => $"{address ?? "-"}\n{userName.Trim().ToUpperInvariant()}";
    private static string AddressKey(string? address) => address ?? "-";

    private bool Allowed(string pair, string addressKey, DateTimeOffset now) =>
        Count(pair, now) < MaxFailures && Count(addressKey, now) < MaxFailuresPerAddress;

    private int Count(string key, DateTimeOffset now)
    {
        if (!_attempts.TryGetValue(key, out var times)) return 0;
        times.RemoveAll(t => now - t >= Window);
        return times.Count;
    }

    private void Add(string key, DateTimeOffset now)
    {
        if (!_attempts.TryGetValue(key, out var times)) _attempts[key] = times = [];
        times.Add(now);
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var key in _attempts.Keys.ToList())
            if (Count(key, now) == 0) _attempts.Remove(key);
    }
}
