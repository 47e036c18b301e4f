using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Analytics.Funnels;

public sealed record SavedFunnel(int Id, string Name, string Query, string CreatedBy, DateTimeOffset UpdatedAt);

/// <summary>
/// Funnels saved from the funnel page: a name and the page's query string, which holds the whole
/// view (steps, filters, window, range, breakdown). Names are unique. Anyone who may read the
/// dashboards may save; a saved funnel is deleted by the person who saved it or by an admin.
/// </summary>
public sealed class SavedFunnels(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    public const int MaxNameLength = 100;
    public const int MaxQueryLength = 4000;

    public async Task<IReadOnlyList<SavedFunnel>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.SavedFunnels.AsNoTracking().OrderBy(f => f.Name).ToListAsync(ct);
        return rows.Select(f => new SavedFunnel(f.Id, f.Name, f.Query, f.CreatedBy, DateTimeOffset.FromUnixTimeMilliseconds(f.UpdatedAt))).ToList();
    }

    /// <summary>Saves the view under the name; the error in words when it cannot.</summary>
    public async Task<string?> SaveAsync(string? name, string query, string savedBy, CancellationToken ct = default)
    {
        name = name?.Trim();
        if (string.IsNullOrEmpty(name)) return "Give the funnel a name.";
        if (name.Length > MaxNameLength) return $"A name has at most {MaxNameLength} characters.";
        if (query.Length > MaxQueryLength) return "This funnel is too large to save.";
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.SavedFunnels.AnyAsync(f => f.Name == name, ct)) return $"A funnel named “{name}” already exists; choose another name.";
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        db.SavedFunnels.Add(new SavedFunnelRecord { Name = name, Query = query, CreatedBy = savedBy, CreatedAt = now, UpdatedAt = now });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            return $"A funnel named “{name}” already exists; choose another name.";
        }
        return null;
    }

    /// <summary>Deletes the funnel; the error in words when the person may not or it is gone.</summary>
    public async Task<string?> DeleteAsync(int id, string person, bool isAdmin, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var funnel = await db.SavedFunnels.SingleOrDefaultAsync(f => f.Id == id, ct);
        if (funnel is null) return "That funnel was already deleted.";
        if (!isAdmin && funnel.CreatedBy != person) return "Only the person who saved a funnel, or an admin, can delete it.";
        db.SavedFunnels.Remove(funnel);
        await db.SaveChangesAsync(ct);
        return null;
    }
}
