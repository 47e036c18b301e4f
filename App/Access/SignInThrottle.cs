using Microsoft.AspNetCore.Identity;

namespace Dashboard.Access;

/// <summary>
/// Slows password guessing without handing anyone a way to lock others out. Attempts are counted
/// per client address (an IPv6 client by its /64, see <see cref="ClientAddress"/>) and user name:
/// after <see cref="MaxFailures"/> counted attempts within <see cref="Window"/>, that address may
/// not try that user name again until the window has passed since its oldest counted attempt. A
/// stranger elsewhere can therefore not keep the well-known <c>admin</c> account out, which an
/// account-wide lockout would allow. Each address also has a budget over all user names, so
/// spraying many names from one place is limited too. User names are counted as Identity's
/// <see cref="ILookupNormalizer"/> makes them, so every spelling that finds one account shares its count.
/// <para>
/// An attempt is reserved before the password is checked (<see cref="TryReserve"/>) and counted
/// as a failure unless it succeeds, so parallel requests cannot all pass the check before the
/// first failure is recorded: the check and the count are one step under one lock.
/// </para>
/// <para>
/// Keys whose attempts have all left the window are pruned once there are more than
/// <see cref="PruneAbove"/>, at most every <see cref="PruneInterval"/> unless the count has doubled
/// since the last prune, so a flood of addresses costs no full scan per attempt. The map never holds
/// more than <see cref="MaxKeys"/>: when pruning leaves more, the keys tried longest ago are dropped
/// until a quarter of the room is free again.
/// </para>
/// </summary>
public sealed class SignInThrottle(TimeProvider clock, ILookupNormalizer names)
{
    public const int MaxFailures = 5;
    public const int MaxFailuresPerAddress = 20;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);
    internal const int PruneAbove = 10_000;
    internal const int MaxKeys = 100_000;
    internal static readonly TimeSpan PruneInterval = TimeSpan.FromMinutes(1);

    private readonly object _gate = new();
    private readonly Dictionary<string, List<DateTimeOffset>> _attempts = new(StringComparer.Ordinal);
    private DateTimeOffset _prunedAt = DateTimeOffset.MinValue;
    private int _keysAfterPrune;

    /// <summary>How many times the map was scanned for keys to drop, for tests and diagnostics.</summary>
    internal int Prunes { get; private set; }

    /// <summary>Addresses and address-and-name pairs currently held.</summary>
    internal int Keys
    {
        get { lock (_gate) return _attempts.Count; }
    }

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
            if (PruneDue(now)) Prune(now);
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

    private string PairKey(string? address, string userName) => $"{address ?? "-"}\n{names.NormalizeName(userName)}";
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

    private bool PruneDue(DateTimeOffset now) =>
        _attempts.Count > PruneAbove
        && (now - _prunedAt >= PruneInterval || _attempts.Count >= 2 * _keysAfterPrune || _attempts.Count > MaxKeys);

    private void Prune(DateTimeOffset now)
    {
        Prunes++;
        foreach (var key in _attempts.Keys.ToList())
            if (Count(key, now) == 0) _attempts.Remove(key);
        if (_attempts.Count > MaxKeys)
        {
            // Each list is in time order, so its last entry is the key's latest attempt.
            var oldest = _attempts.OrderBy(a => a.Value[^1]).Take(_attempts.Count - MaxKeys * 3 / 4).Select(a => a.Key).ToList();
            foreach (var key in oldest) _attempts.Remove(key);
        }
        _prunedAt = now;
        _keysAfterPrune = _attempts.Count;
    }
}
