using Dashboard.Rollups;
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
        var first = interval == ActivityInterval.Day ? from : UtcCalendar.WeekStart(from);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // From the user-day rollup plus the events above its watermark (exact at any moment).
        var rows = (await Rollup.ActiveUsersAsync(db, UtcCalendar.DayIndex(from), UtcCalendar.DayIndex(to), UtcCalendar.DayIndex(first), interval == ActivityInterval.Day ? 1 : 7, ct))
            .ToDictionary(r => r.Bucket);

        var points = new List<ActivityPoint>();
        var step = interval == ActivityInterval.Day ? 1 : 7;
        for (var (start, bucket) = (first, 0L); start <= to; start = start.AddDays(step), bucket++)
            points.Add(rows.TryGetValue(bucket, out var r) ? new ActivityPoint(start, r.Users, r.Events) : new ActivityPoint(start, 0, 0));
        return new ActivityResult(points);
    }
}
