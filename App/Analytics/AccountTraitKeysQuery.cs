using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Analytics;

/// <summary>
/// Which account traits a breakdown (<c>group.&lt;trait&gt;</c>) can offer: the top-level keys of
/// the traits of the <see cref="Sample"/> most recently updated accounts, in key order. The keys
/// are read in C# from the stored JSON, so the SQL is the same on every database.
/// </summary>
public sealed class AccountTraitKeysQuery(IDbContextFactory<DashboardDbContext> dbFactory)
{
    public const int Sample = 500;

    public async Task<IReadOnlyList<string>> RunAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var traits = await db.Accounts.AsNoTracking()
            .OrderByDescending(a => a.UpdatedAt).ThenByDescending(a => a.Id).Take(Sample)
            .Select(a => a.Traits).ToListAsync(ct);
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var text in traits)
        {
            using var doc = JsonText.Parse(text);
            if (doc?.RootElement is { ValueKind: System.Text.Json.JsonValueKind.Object } root)
                foreach (var p in root.EnumerateObject()) keys.Add(p.Name);
        }
        return [.. keys];
    }
}
