using System.Text.Json;
using Dashboard.Flags;
using Dashboard.Ingest;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Seeding;

/// <summary>
/// Writes the demo data set through the batch writer's store when the database has no events,
/// then the exposures of the experiments running on the onboarding flag through the same store's
/// exposure insert (the first exposure per user and experiment is kept).
/// </summary>
public static class DemoDataWriter
{
    public static async Task<int> SeedIfEmptyAsync(IDbContextFactory<DashboardDbContext> dbFactory, DatabaseLocation database,
        SeedData seed, TimeProvider clock, CancellationToken ct)
    {
        var settings = seed.Read<DemoSettings>("demo.json");
        CompiledFlag? flag;
        List<string> experiments;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            if (await db.Events.AnyAsync(ct)) return 0;
            var record = await db.Flags.AsNoTracking().FirstOrDefaultAsync(f => f.Key == settings.OnboardingFlag, ct);
            flag = record is null ? null : new CompiledFlag(FlagState.FromRecord(record));
            experiments = await db.Experiments.Where(e => e.FlagKey == settings.OnboardingFlag && e.State == ExperimentState.Running)
                .Select(e => e.Key).ToListAsync(ct);
        }
        var now = clock.GetUtcNow();
        var exposures = new List<DemoExposure>();
        var written = 0;
        await using var store = new BatchStore(database.ConnectionString, "Normal");
        foreach (var chunk in DemoDataGenerator.Generate(settings, flag, now, exposures).Chunk(5_000))
        {
            ct.ThrowIfCancellationRequested();
            var request = new WriteRequest(chunk, [], now.ToUnixTimeMilliseconds());
            store.Write([request]);
            written += request.Accepted;
        }
        // Exposures go through the writer's own insert, as the flag evaluations' do.
        var items = experiments.SelectMany(key => exposures.Select(x => new ExposureItem(key, settings.OnboardingFlag, x.UserKey, x.Variant, x.Timestamp)));
        foreach (var chunk in items.Chunk(5_000))
        {
            ct.ThrowIfCancellationRequested();
            store.Write([new WriteRequest([], [], now.ToUnixTimeMilliseconds(), chunk)]);
        }
        return written;
    }
}
