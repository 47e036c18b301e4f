using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Schema;

/// <summary>Holds the current taxonomy in memory; edits call <see cref="ReloadAsync"/>.</summary>
public sealed class TaxonomyCache(IDbContextFactory<DashboardDbContext> dbFactory)
{
    private volatile TaxonomySnapshot _current = new([]);

    public TaxonomySnapshot Current => _current;

    public event Action? Changed;

    // Reloads run one at a time, so an older read can never replace a newer one.
    private readonly SemaphoreSlim _reload = new(1, 1);

    public async Task ReloadAsync(CancellationToken ct = default)
    {
        await _reload.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var defs = await db.EventDefinitions.AsNoTracking().OrderBy(d => d.Name).ToListAsync(ct);
            _current = new TaxonomySnapshot(defs);
        }
        finally
        {
            _reload.Release();
        }
        Changed?.Invoke();
    }
}
