using Dashboard.Data;
using Dashboard.Rollups;
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
    public async Task<IReadOnlyList<ActivationWeek>> RunAsync(ActivationRequest request, CancellationToken ct = default)
    {
        var fromMs = UtcCalendar.StartMs(request.From);
        var endMs = UtcCalendar.EndMs(request.To);
        var withinMs = (long)(request.Within ?? ActivationRequest.DefaultWithin).TotalMilliseconds;
        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var (shift, week) = (UtcCalendar.WeekShiftMs, UtcCalendar.WeekMs);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await ActivationQuery.SignupsAsync(db, request.Signup, request.Activation, fromMs, endMs, withinMs, ct);

        var byWeek = rows.ToLookup(r => (r.At + shift) / week);
        var weeks = new List<ActivationWeek>();
        for (var w = UtcCalendar.WeekIndex(request.From); w <= UtcCalendar.WeekIndex(request.To); w++)
        {
            var users = byWeek[w].ToList();
            var activated = users.Count(u => u.Activated);
            var pending = users.Count(u => !u.Activated && nowMs <= u.At + withinMs);
            var counts = new ActivationCounts(users.Count, activated, pending);
            weeks.Add(new ActivationWeek(UtcCalendar.WeekStartOfIndex(w), counts.SignedUp, counts.Activated, counts.Pending, counts.Rate));
        }
        return weeks;
    }
}
