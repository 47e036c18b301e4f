using System.Text.Json.Serialization;
using Dashboard.Rollups;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Dashboard.Analytics.Activation;

public sealed record ActivationRequest(DateOnly From, DateOnly To, string Signup = ActivationRequest.DefaultSignup,
    string Activation = ActivationRequest.DefaultActivation, TimeSpan? Within = null, Breakdown? Breakdown = null)
{
    public const string DefaultSignup = "USER_REGISTERED";
    public const string DefaultActivation = "PROJECT_CREATED";
    public static readonly TimeSpan DefaultWithin = TimeSpan.FromDays(7);

    /// <summary>Only this cohort's members count (<c>cohort=KEY</c>).</summary>
    public string? Cohort { get; init; }
}

public sealed record ActivationCounts(int SignedUp, int Activated, int Pending)
{
    /// <summary>activated / (signed up − pending); null (cannot compute) when that is 0.</summary>
    public double? Rate => SignedUp - Pending == 0 ? null : (double)Activated / (SignedUp - Pending);
}

public sealed record ActivationGroup(string Value, int SignedUp, int Activated, int Pending, double? Rate);

public sealed record ActivationResult(int SignedUp, int Activated, int Pending, double? Rate,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ActivationGroup>? Breakdown);

/// <summary>
/// Activation over the inclusive UTC days [from, to]. Signed up = users whose first ever `signup`
/// event (not the first inside the range) has its timestamp in [from, to]. Activated = those with an
/// `activation` event at or after that first signup and at most `within` after it (an event at
/// exactly signup + within counts). Pending = not activated while the window has not ended at now
/// (now ≤ signup + within). Rate = activated / (signed up − pending), null when that denominator is
/// 0. With a breakdown, users are also grouped by a trait of theirs or of their account (a user
/// without the trait or without an account: "(none)"), the <see cref="BreakdownGroups.MaxGroups"/>
/// largest groups by signed-up users and "(other)".
/// </summary>
public sealed class ActivationQuery(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    /// <summary>A signed-up user: the first signup's time and whether the activation followed in the window.</summary>
    internal readonly record struct Signup(long UserId, long At, bool Activated);

    /// <summary>
    /// Every user whose first ever signup event is in [fromMs, endMs), with activation. Two reads
    /// of the packed timestamps (<see cref="EventTimes"/>, with the events above the watermark) in
    /// one snapshot, joined here by user: every signup before endMs (a user signs up about once,
    /// so this follows the users, not the events), then the activation events of the weeks from
    /// fromMs to endMs + within, of the signed-up users only.
    /// </summary>
    internal static async Task<List<Signup>> SignupsAsync(DashboardDbContext db, string signup, string activation,
        long fromMs, long endMs, long withinMs, CancellationToken ct)
    {
        await using var snapshot = await Rollup.BeginSnapshotAsync(db, ct);
        var (connection, transaction) = (db.Database.GetDbConnection(), snapshot.GetDbTransaction());
        var first = new FirstSignups([], endMs);
        EventTimes.Read(connection, transaction, signup, long.MinValue, endMs, ref first);
        var signups = new Dictionary<long, (long At, bool Activated)>();
        foreach (var (user, at) in first.Users)
            if (at >= fromMs) signups[user] = (at, false);
        if (signups.Count > 0)
        {
            var activated = new Activations(signups, withinMs);
            EventTimes.Read(connection, transaction, activation, fromMs, endMs + withinMs + 1, ref activated);
        }
        return signups.Select(s => new Signup(s.Key, s.Value.At, s.Value.Activated)).ToList();
    }

    /// <summary>Each user's earliest signup before the end.</summary>
    private struct FirstSignups(Dictionary<long, long> users, long endMs) : EventTimes.ISink
    {
        public readonly Dictionary<long, long> Users = users;
        private long _user;

        public bool User(long userId, ReadOnlySpan<byte> times)
        {
            _user = userId;
            return true;
        }

        public readonly void Add(long timestamp)
        {
            if (timestamp < endMs && (!Users.TryGetValue(_user, out var seen) || timestamp < seen)) Users[_user] = timestamp;
        }
    }

    /// <summary>Marks a signed-up user activated at their first activation event in [signup, signup + within].</summary>
    private struct Activations(Dictionary<long, (long At, bool Activated)> signups, long withinMs) : EventTimes.ISink
    {
        private long _user;

        public bool User(long userId, ReadOnlySpan<byte> times)
        {
            _user = userId;
            return signups.TryGetValue(userId, out var s) && !s.Activated;
        }

        public readonly void Add(long timestamp)
        {
            var s = signups[_user];
            if (!s.Activated && timestamp >= s.At && timestamp <= s.At + withinMs) signups[_user] = (s.At, true);
        }
    }

    public async Task<ActivationResult> RunAsync(ActivationRequest request, CancellationToken ct = default) =>
        (await RunAsync([request], ct))[0];

    /// <summary>
    /// Several ranges with the same events and window (the weekly review's two weeks) from one read
    /// of the events over their span; each answer equals <see cref="RunAsync(ActivationRequest, CancellationToken)"/>'s.
    /// </summary>
    public async Task<IReadOnlyList<ActivationResult>> RunAsync(IReadOnlyList<ActivationRequest> requests, CancellationToken ct = default)
    {
        var first = requests[0];
        if (requests.Any(r => r.Signup != first.Signup || r.Activation != first.Activation
            || (r.Within ?? ActivationRequest.DefaultWithin) != (first.Within ?? ActivationRequest.DefaultWithin)))
            throw new ArgumentException("the ranges must share the signup and activation events and the window", nameof(requests));
        if (requests.Any(r => r.Cohort != first.Cohort)) throw new ArgumentException("the ranges must share the cohort", nameof(requests));
        var withinMs = (long)(first.Within ?? ActivationRequest.DefaultWithin).TotalMilliseconds;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var signups = await SignupsAsync(db, first.Signup, first.Activation,
            requests.Min(r => UtcCalendar.StartMs(r.From)), requests.Max(r => UtcCalendar.EndMs(r.To)), withinMs, ct);
        // Activation is per user: keeping the cohort's signups is the same as filtering their events.
        if (await Cohorts.CohortFilter.MembersAsync(db, first.Cohort, ct) is { } members)
            signups = [.. signups.Where(s => members.Contains(s.UserId))];
        var results = new List<ActivationResult>();
        foreach (var request in requests)
        {
            var (fromMs, endMs) = (UtcCalendar.StartMs(request.From), UtcCalendar.EndMs(request.To));
            results.Add(await ResultAsync(db, request, signups.Where(s => s.At >= fromMs && s.At < endMs).ToList(), withinMs, ct));
        }
        return results;
    }

    private async Task<ActivationResult> ResultAsync(DashboardDbContext db, ActivationRequest request, List<Signup> rows, long withinMs,
        CancellationToken ct)
    {
        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var valueOf = request.Breakdown is { } by ? await by.ValuesAsync(db, rows.Select(r => r.UserId), ct) : null;

        ActivationCounts Count(IEnumerable<(long At, bool Activated)> users)
        {
            int signedUp = 0, activated = 0, pending = 0;
            foreach (var (at, isActivated) in users)
            {
                signedUp++;
                if (isActivated) activated++;
                else if (nowMs <= at + withinMs) pending++;
            }
            return new ActivationCounts(signedUp, activated, pending);
        }

        var total = Count(rows.Select(r => (r.At, r.Activated)));
        List<ActivationGroup>? breakdown = null;
        if (valueOf is not null)
        {
            string Trait(Signup r) => valueOf(r.UserId);
            var group = BreakdownGroups.Keep(rows.Select(Trait));
            breakdown = BreakdownGroups.InOrder(rows.GroupBy(r => group(Trait(r))), g => g.Key)
                .Select(g =>
                {
                    var c = Count(g.Select(r => (r.At, r.Activated)));
                    return new ActivationGroup(BreakdownGroups.Label(g.Key), c.SignedUp, c.Activated, c.Pending, c.Rate);
                })
                .ToList();
        }
        return new ActivationResult(total.SignedUp, total.Activated, total.Pending, total.Rate, breakdown);
    }
}
