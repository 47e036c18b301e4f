using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Analytics.Activity;

public enum ActivityInterval { Day, Week }

public sealed record ActivityPoint(DateOnly Start, int ActiveUsers, long Events);

public sealed record ActivityResult(IReadOnlyList<ActivityPoint> Points);

/// <summary>
/// Active users and event volume per bucket over the inclusive UTC days [from, to]. A bucket is a
/// UTC day or an ISO week (Monday to Sunday). Active users in a bucket = distinct identities with at
/// least one event whose timestamp falls in the bucket and in [from, to]; events = their count. A
/// week bucket is labelled by its Monday even when [from, to] covers only part of it, and then
/// counts only the covered days. Every bucket of the range is returned, empty ones with zeros.
/// </summary>
public sealed class ActivityQuery(IDbContextFactory<DashboardDbContext> dbFactory)
{
    public async Task<ActivityResult> RunAsync(DateOnly from, DateOnly to, ActivityInterval interval, CancellationToken ct = default)
    {
        var fromMs = UtcCalendar.StartMs(from);
        var endMs = UtcCalendar.EndMs(to);
        var first = interval == ActivityInterval.Day ? from : UtcCalendar.WeekStart(from);
        var originMs = UtcCalendar.StartMs(first);
        var sizeMs = interval == ActivityInterval.Day ? UtcCalendar.DayMs : UtcCalendar.WeekMs;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Bucket number by integer division: portable, and served by the Timestamp index.
        var rows = await db.Events.AsNoTracking()
            .Where(e => e.Timestamp >= fromMs && e.Timestamp < endMs)
            .GroupBy(e => (e.Timestamp - originMs) / sizeMs)
            .Select(g => new { Bucket = g.Key, Users = g.Select(e => e.UserId).Distinct().Count(), Events = g.LongCount() })
            .ToDictionaryAsync(r => r.Bucket, ct);

        var points = new List<ActivityPoint>();
        var step = interval == ActivityInterval.Day ? 1 : 7;
        for (var (start, bucket) = (first, 0L); start <= to; start = start.AddDays(step), bucket++)
            points.Add(rows.TryGetValue(bucket, out var r) ? new ActivityPoint(start, r.Users, r.Events) : new ActivityPoint(start, 0, 0));
        return new ActivityResult(points);
    }
}
