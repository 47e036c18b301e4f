using Dashboard.Rollups;
using Dashboard.Data;
using Microsoft.Data.Sqlite;
using Dashboard.Ingest;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dashboard.Jobs;

/// <summary>Deletes quarantine rows older than <c>Quarantine:RetentionDays</c> (default 30) and replayed rows older than a day.</summary>
public sealed class QuarantineRetentionJob(IDbContextFactory<DashboardDbContext> dbFactory, IConfiguration configuration, TimeProvider clock)
{
    public const string Id = "quarantine-retention";

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var cutoff = now - configuration.GetValue("Quarantine:RetentionDays", 30) * 86_400_000L;
        var replayedCutoff = now - 86_400_000L;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Quarantine
            .Where(q => q.ReceivedAt < cutoff || (q.ReplayedAt != null && q.ReplayedAt < replayedCutoff))
            .ExecuteDeleteAsync(ct);
    }
}

/// <summary>
/// Deletes events older than the retention window (<c>Ingest:MaxAgeDays</c>), in chunks so the writer
/// is never blocked for long, then brings the per-name totals back in line with what is stored. Each
/// chunk takes its events out of the rollups (those at or under the watermark) in the same
/// transaction as the delete, so the rollups always describe exactly the stored events.
/// </summary>
public sealed class EventRetentionJob(IDbContextFactory<DashboardDbContext> dbFactory, IOptions<IngestOptions> options, TimeProvider clock)
{
    public const string Id = "event-retention";
    private const int Chunk = 10_000;

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow().ToUnixTimeMilliseconds() - options.Value.MaxAgeDays * 86_400_000L;
        var total = 0;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        while (true)
        {
            await using var tx = connection.BeginTransaction(deferred: false);
            await db.Database.UseTransactionAsync(tx, ct);
            var ids = await db.Events.Where(e => e.Timestamp < cutoff).OrderBy(e => e.Timestamp).Select(e => e.Id).Take(Chunk).ToListAsync(ct);
            if (ids.Count > 0)
            {
                var watermark = await Rollup.WatermarkAsync(db, ct);
                var list = string.Join(",", ids.Where(id => id <= watermark));
                if (list.Length > 0) await Rollup.ApplyAsync(db, $"""e."Id" IN ({list})""", -1, ct);
                await db.Events.Where(e => ids.Contains(e.Id)).ExecuteDeleteAsync(ct);
            }
            await tx.CommitAsync(ct);
            await db.Database.UseTransactionAsync(null, ct);
            total += ids.Count;
            if (ids.Count < Chunk) break;
        }
        if (total > 0)
        {
            // Keep the per-name totals (volume on the event definitions page) equal to what is stored.
            // One statement is one transaction, so no commit of the writer can fall between count and update.
            await db.Database.ExecuteSqlRawAsync(
                "UPDATE EventStats SET Count = (SELECT COUNT(*) FROM Events WHERE Events.Name = EventStats.Name)", ct);
        }
        return total;
    }
}
