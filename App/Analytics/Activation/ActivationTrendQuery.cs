using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Analytics.Activation;

public sealed record ActivationWeek(DateOnly Week, int SignedUp, int Activated, int Pending, double? Rate);

/// <summary>
/// Activation over time: the users of <see cref="ActivationQuery"/> (first ever signup event in
/// [from, to], activated when the activation event follows within the window, pending while the
/// window is open at now) grouped by the ISO week (Monday start, UTC) of their signup, one row per
/// week touching the range, empty weeks with zeros and a null rate. One query for all weeks, so the
/// weekly rows add up to the API's totals for the same request.
/// </summary>
public sealed class ActivationTrendQuery(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    private sealed class Row
    {
        public long Week { get; set; }
        public long At { get; set; }
        public int Activated { get; set; }
    }

    public async Task<IReadOnlyList<ActivationWeek>> RunAsync(ActivationRequest request, CancellationToken ct = default)
    {
        var fromMs = UtcCalendar.StartMs(request.From);
        var endMs = UtcCalendar.EndMs(request.To);
        var withinMs = (long)(request.Within ?? ActivationRequest.DefaultWithin).TotalMilliseconds;
        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var (shift, week) = (UtcCalendar.WeekShiftMs, UtcCalendar.WeekMs);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Database.SqlQuery<Row>($"""
            SELECT (s."At" + {shift}) / {week} AS "Week", s."At",
                   CASE WHEN EXISTS (SELECT 1 FROM "Events" AS a
                                     WHERE a."UserId" = s."UserId" AND a."Name" = {request.Activation}
                                       AND a."Timestamp" >= s."At" AND a."Timestamp" <= s."At" + {withinMs})
                        THEN 1 ELSE 0 END AS "Activated"
            FROM (SELECT "UserId", MIN("Timestamp") AS "At" FROM "Events" WHERE "Name" = {request.Signup} GROUP BY "UserId") AS s
            WHERE s."At" >= {fromMs} AND s."At" < {endMs}
            """).ToListAsync(ct);

        var byWeek = rows.ToLookup(r => r.Week);
        var weeks = new List<ActivationWeek>();
        for (var w = UtcCalendar.WeekIndex(request.From); w <= UtcCalendar.WeekIndex(request.To); w++)
        {
            var users = byWeek[w].ToList();
            var activated = users.Count(u => u.Activated == 1);
            var pending = users.Count(u => u.Activated == 0 && nowMs <= u.At + withinMs);
            var counts = new ActivationCounts(users.Count, activated, pending);
            weeks.Add(new ActivationWeek(UtcCalendar.WeekStartOfIndex(w), counts.SignedUp, counts.Activated, counts.Pending, counts.Rate));
        }
        return weeks;
    }
}
