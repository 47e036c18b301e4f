using Dashboard.Data.Seeding;
using Dashboard.Schema;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data;

/// <summary>
/// The store's part of start-up: applies migrations, seeds the taxonomy, flags and experiments
/// when their tables are empty, adds the built-in events (PAGE, SCREEN) the taxonomy lacks and loads the taxonomy cache; and fills the demo data set into an
/// empty database when <c>Demo:Seed</c> is true. Migrations run under <see cref="MigrationLock"/>, so a
/// start killed while migrating never keeps the next one waiting.
/// </summary>
public sealed class DatabaseInitializer(
    IDbContextFactory<DashboardDbContext> dbFactory,
    DatabaseLocation database,
    SeedData seed,
    TaxonomyCache taxonomy,
    IConfiguration configuration,
    TimeProvider clock,
    ILogger<DatabaseInitializer> logger)
{
    public async Task MigrateAndSeedAsync(CancellationToken ct)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            await using (await MigrationLock.AcquireAsync(db, database.FilePath, logger, ct))
                await db.Database.MigrateAsync(ct);
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            if (!await db.EventDefinitions.AnyAsync(ct)) db.EventDefinitions.AddRange(seed.Taxonomy(now));
            // The built-in events join every store, an existing one included (the seed is read only when it is empty).
            var names = await db.EventDefinitions.Select(d => d.Name).ToListAsync(ct);
            db.EventDefinitions.AddRange(BuiltInEvents.Definitions(now).Where(d => !names.Contains(d.Name)
                && !db.EventDefinitions.Local.Any(l => l.Name == d.Name)));
            if (!await db.Flags.AnyAsync(ct)) db.Flags.AddRange(seed.Flags(now));
            if (!await db.Experiments.AnyAsync(ct)) db.Experiments.AddRange(seed.Experiments(now));
            await db.SaveChangesAsync(ct);
        }
        await taxonomy.ReloadAsync(ct);
    }

    public async Task SeedDemoDataAsync(CancellationToken ct)
    {
        if (!configuration.GetValue("Demo:Seed", true)) return;
        var written = await DemoDataWriter.SeedIfEmptyAsync(dbFactory, database, seed, clock, ct);
        if (written > 0) logger.LogInformation("Demo data: {Messages} messages written (events and identify calls)", written);
    }
}
