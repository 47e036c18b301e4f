using System.Text.Json;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.People;

public sealed record PersonEvent(string Name, DateTimeOffset Timestamp, JsonElement Properties, string MessageId);

public sealed record PersonEventsPage(IReadOnlyList<PersonEvent> Events, string? NextBefore);

/// <summary>
/// A person's events, newest first: ordered by (Timestamp, Id) descending and paged by a keyset on
/// that pair, so events with the same timestamp are neither lost nor repeated across pages. A merged
/// anonymous id answers its user's events (merging moved them to the user's row). Null when no
/// person has the id.
/// </summary>
public sealed class PersonEventsQuery(IDbContextFactory<DashboardDbContext> dbFactory)
{
    public async Task<PersonEventsPage?> RunAsync(string id, int limit, PeopleCursor? before, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var user = await db.TrackedUsers.AsNoTracking().Where(u => u.Key == id).Select(u => new { u.Id, u.MergedInto }).FirstOrDefaultAsync(ct);
        if (user is null) return null;
        var userId = user.MergedInto ?? user.Id;
        var events = db.Events.AsNoTracking().Where(e => e.UserId == userId);
        if (before is { } b) events = events.Where(e => e.Timestamp < b.Time || (e.Timestamp == b.Time && e.Id < b.Id));
        var rows = await events.OrderByDescending(e => e.Timestamp).ThenByDescending(e => e.Id).Take(limit + 1)
            .Select(e => new { e.Id, e.Name, e.Timestamp, e.Properties, e.MessageId }).ToListAsync(ct);
        var (page, next) = PeopleCursor.Split(rows, limit, e => new PeopleCursor(e.Timestamp, e.Id));
        return new PersonEventsPage([.. page.Select(e => new PersonEvent(e.Name, StoredJson.Time(e.Timestamp), StoredJson.Object(e.Properties), e.MessageId))], next);
    }
}
