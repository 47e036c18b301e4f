using System.Text.Json.Serialization;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Analytics.Activation;

public sealed record ActivationRequest(DateOnly From, DateOnly To, string Signup = ActivationRequest.DefaultSignup,
    string Activation = ActivationRequest.DefaultActivation, TimeSpan? Within = null, string? BreakdownTrait = null)
{
    public const string DefaultSignup = "USER_REGISTERED";
    public const string DefaultActivation = "PROJECT_CREATED";
    public static readonly TimeSpan DefaultWithin = TimeSpan.FromDays(7);
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
/// 0. With a trait, users are also grouped by that key of Users.Traits (missing: "(none)").
/// </summary>
public sealed class ActivationQuery(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    private sealed class SignupRow
    {
        public long UserId { get; set; }
        public long At { get; set; }
        public int Activated { get; set; }
    }

    public async Task<ActivationResult> RunAsync(ActivationRequest request, CancellationToken ct = default)
    {
        var fromMs = UtcCalendar.StartMs(request.From);
        var endMs = UtcCalendar.EndMs(request.To);
        var withinMs = (long)(request.Within ?? ActivationRequest.DefaultWithin).TotalMilliseconds;
        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var (signup, activation) = (request.Signup, request.Activation);
        var withTraits = request.BreakdownTrait is not null;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // One row per signed-up user with the sufficient statistics (first signup time, activated);
        // portable SQL. Traits are read only for a breakdown, and parsed in C# so no JSON dialect is needed.
        // Both sides come from ranges of the covering (Name, Timestamp, UserId) index; the activation
        // events are materialized so they are joined by user (SQLite indexes the CTE; PostgreSQL hashes
        // it) rather than scanned again for every signup.
        var rows = await db.Database.SqlQuery<SignupRow>($"""
            WITH s AS (SELECT "UserId", MIN("Timestamp") AS "At" FROM "Events" WHERE "Name" = {signup} GROUP BY "UserId"),
            a AS MATERIALIZED (SELECT "UserId", "Timestamp" FROM "Events"
                               WHERE "Name" = {activation} AND "Timestamp" >= {fromMs} AND "Timestamp" <= {endMs + withinMs})
            SELECT s."UserId", s."At",
                   MAX(CASE WHEN a."Timestamp" >= s."At" AND a."Timestamp" <= s."At" + {withinMs} THEN 1 ELSE 0 END) AS "Activated"
            FROM s LEFT JOIN a ON a."UserId" = s."UserId"
            WHERE s."At" >= {fromMs} AND s."At" < {endMs}
            GROUP BY s."UserId", s."At"
            """).ToListAsync(ct);
        Dictionary<long, string> traits = [];
        if (withTraits)
        {
            var ids = rows.Select(r => r.UserId).ToList();
            traits = await db.TrackedUsers.AsNoTracking().Where(u => ids.Contains(u.Id))
                .ToDictionaryAsync(u => u.Id, u => JsonText.Value(u.Traits, request.BreakdownTrait!), ct);
        }

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

        var total = Count(rows.Select(r => (r.At, r.Activated == 1)));
        List<ActivationGroup>? breakdown = null;
        if (withTraits)
        {
            breakdown = rows
                .GroupBy(r => traits.GetValueOrDefault(r.UserId, JsonText.None))
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g =>
                {
                    var c = Count(g.Select(r => (r.At, r.Activated == 1)));
                    return new ActivationGroup(g.Key, c.SignedUp, c.Activated, c.Pending, c.Rate);
                })
                .ToList();
        }
        return new ActivationResult(total.SignedUp, total.Activated, total.Pending, total.Rate, breakdown);
    }
}
