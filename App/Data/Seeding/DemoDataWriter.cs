using System.Text.Json;
using Dashboard.Flags;
using Dashboard.Ingest;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Seeding;

/// <summary>
/// Writes the demo data set through the batch writer's store when the database has no events,
/// then the exposures of the experiments running on the onboarding flag (one prepared insert in
/// one transaction; the first exposure per user and experiment is kept).
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
        await using (var store = new BatchStore(database.ConnectionString, "Normal"))
        {
            foreach (var chunk in DemoDataGenerator.Generate(settings, flag, now, exposures).Chunk(5_000))
            {
                ct.ThrowIfCancellationRequested();
                var request = new WriteRequest(chunk, [], now.ToUnixTimeMilliseconds());
                store.Write([request]);
                written += request.Accepted;
            }
        }
        if (experiments.Count > 0 && exposures.Count > 0)
            await WriteExposuresAsync(database.ConnectionString, settings.OnboardingFlag, experiments, exposures, ct);
        return written;
    }

    private static async Task WriteExposuresAsync(string connectionString, string flagKey, List<string> experiments,
        List<DemoExposure> exposures, CancellationToken ct)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        await using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = """
            INSERT INTO Exposures (ExperimentKey, FlagKey, UserId, Variant, Timestamp)
            SELECT $experiment, $flag, Id, $variant, $at FROM Users WHERE Key = $user
            ON CONFLICT (ExperimentKey, UserId) DO NOTHING
            """;
        var experiment = insert.Parameters.Add("$experiment", SqliteType.Text);
        insert.Parameters.AddWithValue("$flag", flagKey);
        var variant = insert.Parameters.Add("$variant", SqliteType.Text);
        var at = insert.Parameters.Add("$at", SqliteType.Integer);
        var user = insert.Parameters.Add("$user", SqliteType.Text);
        insert.Prepare();
        foreach (var key in experiments)
        {
            foreach (var x in exposures)
            {
                experiment.Value = key;
                variant.Value = x.Variant;
                at.Value = x.Timestamp;
                user.Value = x.UserKey;
                await insert.ExecuteNonQueryAsync(ct);
            }
        }
        await tx.CommitAsync(ct);
    }
}
