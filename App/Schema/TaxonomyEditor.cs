using System.Text.RegularExpressions;
using Dashboard.Annotations;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Schema;

/// <summary>
/// Validated writes to the taxonomy; every successful write reloads the ingest cache and records a
/// taxonomy annotation (added, changed with what changed, renamed, deleted) with the change.
/// </summary>
public sealed partial class TaxonomyEditor(IDbContextFactory<DashboardDbContext> dbFactory, TaxonomyCache cache, TimeProvider clock)
{
    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_.:-]{0,99}$")]
    private static partial Regex EventName();

    [GeneratedRegex("^[A-Za-z_$][A-Za-z0-9_$]{0,99}$")]
    private static partial Regex PropertyName();

    public static IReadOnlyList<string> Validate(EventDefinition d)
    {
        var errors = new List<string>();
        if (!EventName().IsMatch(d.Name))
            errors.Add("The event name must start with a letter and use only letters, digits, _ . : - (at most 100 characters).");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in d.Properties)
        {
            if (!PropertyName().IsMatch(p.Name)) errors.Add($"Property name '{p.Name}' must be an identifier (letters, digits, _ or $, not starting with a digit).");
            else if (!seen.Add(p.Name)) errors.Add($"Property '{p.Name}' is listed twice.");
            if (p.Type == PropertyType.Enum && p.EnumValues.Count == 0) errors.Add($"Enum property '{p.Name}' needs at least one value.");
        }
        return errors;
    }

    /// <summary>Creates (Id 0) or updates a definition. Returns the errors, empty on success.</summary>
    public async Task<IReadOnlyList<string>> SaveAsync(EventDefinition d, string? by = null, CancellationToken ct = default)
    {
        d.Properties.ForEach(p => p.EnumValues = p.Type == PropertyType.Enum
            ? p.EnumValues.Select(v => v.Trim()).Where(v => v.Length > 0).Distinct().ToList()
            : []);
        var errors = Validate(d);
        if (errors.Count > 0) return errors;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.EventDefinitions.AnyAsync(x => x.Name == d.Name && x.Id != d.Id, ct))
            return [$"An event named '{d.Name}' already exists."];
        d.UpdatedAt = clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (d.Id == 0)
        {
            db.EventDefinitions.Add(d);
            Record(db, d.UpdatedAt, $"Event {d.Name} added", d.Name, by);
        }
        else
        {
            // Owned JSON properties of a detached copy cannot be attached with Update (their keys are
            // shadow ordinals), so the edit is copied onto the tracked row.
            var row = await db.EventDefinitions.FirstOrDefaultAsync(x => x.Id == d.Id, ct);
            if (row is null) return [$"The event '{d.Name}' no longer exists."];
            if (row.Name != d.Name && BuiltInEvents.IsBuiltIn(row.Name))
                return [$"{row.Name} is built in (page and screen calls are stored as it) and keeps its name."];
            var changes = Changes(row, d);
            if (changes.Count > 0)
                Record(db, d.UpdatedAt, row.Name == d.Name ? $"Event {d.Name} changed: {string.Join("; ", changes)}"
                    : $"Event {row.Name} renamed to {d.Name}" + (changes.Count > 1 ? $": {string.Join("; ", changes.Skip(1))}" : ""), d.Name, by);
            row.Name = d.Name;
            row.Description = d.Description;
            row.Properties = d.Properties;
            row.UpdatedAt = d.UpdatedAt;
        }
        await db.SaveChangesAsync(ct);
        await cache.ReloadAsync(ct);
        return [];
    }

    /// <summary>Deletes a definition; null when done, else why not (the built-in PAGE and SCREEN stay).</summary>
    public async Task<string?> DeleteAsync(int id, string? by = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var name = await db.EventDefinitions.Where(d => d.Id == id).Select(d => d.Name).FirstOrDefaultAsync(ct);
        if (name is not null && BuiltInEvents.IsBuiltIn(name)) return $"{name} is built in (page and screen calls are stored as it) and cannot be deleted";
        if (name is not null)
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await db.EventDefinitions.Where(d => d.Id == id).ExecuteDeleteAsync(ct);
            Record(db, clock.GetUtcNow().ToUnixTimeMilliseconds(), $"Event {name} deleted", null, by);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        await cache.ReloadAsync(ct);
        return null;
    }

    private static void Record(DashboardDbContext db, long at, string text, string? name, string? by) =>
        AnnotationLog.Record(db, AnnotationKinds.Taxonomy, at, text, by ?? "unknown", name is null ? "events" : "events/" + Uri.EscapeDataString(name));

    /// <summary>What an edit changes, in words: the name first, then the description and each property added, removed or changed.</summary>
    private static List<string> Changes(EventDefinition before, EventDefinition after)
    {
        var changes = new List<string>();
        if (before.Name != after.Name) changes.Add($"name {before.Name} → {after.Name}");
        if (before.Description != after.Description) changes.Add("description");
        var old = before.Properties.ToDictionary(p => p.Name, StringComparer.Ordinal);
        var next = after.Properties.ToDictionary(p => p.Name, StringComparer.Ordinal);
        changes.AddRange(next.Keys.Where(k => !old.ContainsKey(k)).Select(k => $"property {k} added"));
        changes.AddRange(old.Keys.Where(k => !next.ContainsKey(k)).Select(k => $"property {k} removed"));
        changes.AddRange(next.Where(p => old.TryGetValue(p.Key, out var o) && !Same(o, p.Value)).Select(p => $"property {p.Key} changed"));
        return changes;
    }

    private static bool Same(PropertyDefinition a, PropertyDefinition b) =>
        a.Type == b.Type && a.Required == b.Required && a.Description == b.Description && a.EnumValues.SequenceEqual(b.EnumValues);
}
