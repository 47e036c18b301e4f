using Dashboard.Ingest;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Seeding;

/// <summary>Writes the demo data set through the batch writer's store when the database has no events.</summary>
public static class DemoDataWriter
{
    public static async Task<int> SeedIfEmptyAsync(IDbContextFactory<DashboardDbContext> dbFactory, DatabaseLocation database,
        SeedData seed, TimeProvider clock, CancellationToken ct)
    {
        var settings = seed.Read<DemoSettings>("demo.json");
        int rollout;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            if (await db.Events.AnyAsync(ct)) return 0;
            rollout = await db.Flags.Where(f => f.Key == settings.OnboardingFlag).Select(f => (int?)f.RolloutBasisPoints).FirstOrDefaultAsync(ct) ?? 0;
        }
        var now = clock.GetUtcNow();
        await using var store = new BatchStore(database.ConnectionString, "Normal");
        var written = 0;
        foreach (var chunk in DemoDataGenerator.Generate(settings, rollout, now).Chunk(5_000))
        {
            ct.ThrowIfCancellationRequested();
            var request = new WriteRequest(chunk, [], now.ToUnixTimeMilliseconds());
            store.Write([request]);
            written += request.Accepted;
        }
        return written;
    }
}
