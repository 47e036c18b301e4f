using System.Text.Json;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.People;

public sealed record PersonSummary(string Id, JsonElement Traits, DateTimeOffset FirstSeen, DateTimeOffset LastSeen);

public sealed record PeoplePage(IReadOnlyList<PersonSummary> People, string? NextCursor);

/// <summary>
/// The people list: identities that are not merged into another (a merged anonymous id is part of
/// its user), newest seen first, ordered by (LastSeen, Id) descending and paged by a keyset cursor.
/// A search matches the start of the id (case-insensitive for ASCII); a search <c>trait:value</c>
/// also matches people whose stored trait equals the value (compared as text, numbers and booleans
/// as JSON text), so <c>plan:team</c> finds the team plan and an id containing a colon still matches
/// by prefix.
/// </summary>
public sealed class PeopleQuery(IDbContextFactory<DashboardDbContext> dbFactory)
{
    public async Task<PeoplePage> SearchAsync(string? search, int limit, PeopleCursor? cursor, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var users = Matching(db, search?.Trim() ?? "").Where(u => u.MergedInto == null);
        if (cursor is { } c) users = users.Where(u => u.LastSeen < c.Time || (u.LastSeen == c.Time && u.Id < c.Id));
        var rows = await users.OrderByDescending(u => u.LastSeen).ThenByDescending(u => u.Id).Take(limit + 1)
            .Select(u => new { u.Id, u.Key, u.Traits, u.FirstSeen, u.LastSeen }).ToListAsync(ct);
        var (page, next) = PeopleCursor.Split(rows, limit, u => new PeopleCursor(u.LastSeen, u.Id));
        return new PeoplePage([.. page.Select(u => new PersonSummary(u.Key, StoredJson.Object(u.Traits), StoredJson.Time(u.FirstSeen), StoredJson.Time(u.LastSeen)))], next);
    }

    private static IQueryable<UserRecord> Matching(DashboardDbContext db, string search)
    {
        if (search.Length == 0) return db.TrackedUsers.AsNoTracking();
        var colon = search.IndexOf(':');
        if (colon <= 0 || search.AsSpan(0, colon).IndexOfAny('"', '\\') >= 0)
            return db.TrackedUsers.AsNoTracking().Where(u => u.Key.StartsWith(search));
        var path = "$.\"" + search[..colon] + "\"";
        var value = search[(colon + 1)..];
        var prefix = EscapeLike(search) + "%";
        // -> gives a trait as JSON text (true, 5, "team"); a string compares by its value.
        return db.TrackedUsers.FromSql($"""
            SELECT * FROM Users
            WHERE Key LIKE {prefix} ESCAPE '\'
               OR (CASE json_type(Traits, {path}) WHEN 'text' THEN json_extract(Traits, {path}) ELSE Traits -> {path} END) = {value}
            """).AsNoTracking();
    }

    private static string EscapeLike(string text) => text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
}

/// <summary>How the store keeps JSON objects and times, as the people API answers them.</summary>
internal static class StoredJson
{
    public static JsonElement Object(string text)
    {
        try
        {
            return JsonDocument.Parse(string.IsNullOrEmpty(text) ? "{}" : text).RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonDocument.Parse("{}").RootElement.Clone();
        }
    }

    public static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
