using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Analytics;

public sealed record SavedView(int Id, string Name, string Query, string CreatedBy, DateTimeOffset UpdatedAt);

/// <summary>
/// Views saved from an analytics page: a name and the page's query string, which holds the whole
/// view, so reopening it restores every setting. Each page keeps its own list (<see cref="Page"/>),
/// where names are unique. Anyone who may read the dashboards may save; a saved view is deleted by
/// the person who saved it or by an admin.
/// </summary>
public abstract class SavedViews(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock, string page, string noun)
{
    public const int MaxNameLength = 100;
    public const int MaxQueryLength = 4000;

    /// <summary>The page the views belong to, as its path ("funnels").</summary>
    public string Page => page;

    /// <summary>What a view of this page is called in messages ("funnel").</summary>
    public string Noun => noun;

    public async Task<IReadOnlyList<SavedView>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.SavedFunnels.AsNoTracking().Where(f => f.Page == page).OrderBy(f => f.Name).ToListAsync(ct);
        return rows.Select(f => new SavedView(f.Id, f.Name, f.Query, f.CreatedBy, DateTimeOffset.FromUnixTimeMilliseconds(f.UpdatedAt))).ToList();
    }

    /// <summary>Saves the view under the name; the error in words when it cannot.</summary>
    public async Task<string?> SaveAsync(string? name, string query, string savedBy, CancellationToken ct = default)
    {
        name = name?.Trim();
        if (string.IsNullOrEmpty(name)) return $"Give the {noun} a name.";
        if (name.Length > MaxNameLength) return $"A name has at most {MaxNameLength} characters.";
        if (query.Length > MaxQueryLength) return $"This {noun} is too large to save.";
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var taken = $"A {noun} named “{name}” already exists; choose another name.";
        if (await db.SavedFunnels.AnyAsync(f => f.Page == page && f.Name == name, ct)) return taken;
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        db.SavedFunnels.Add(new SavedFunnelRecord { Page = page, Name = name, Query = query, CreatedBy = savedBy, CreatedAt = now, UpdatedAt = now });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            return taken;
        }
        return null;
    }

    /// <summary>Deletes the view; the error in words when the person may not or it is gone.</summary>
    public async Task<string?> DeleteAsync(int id, string person, bool isAdmin, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var view = await db.SavedFunnels.SingleOrDefaultAsync(f => f.Id == id && f.Page == page, ct);
        if (view is null) return $"That {noun} was already deleted.";
        if (!isAdmin && view.CreatedBy != person) return $"Only the person who saved a {noun}, or an admin, can delete it.";
        db.SavedFunnels.Remove(view);
        await db.SaveChangesAsync(ct);
        return null;
    }
}
