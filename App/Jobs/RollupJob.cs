using Dashboard.Rollups;
using Dashboard.Data;
using Dashboard.Ingest;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Jobs;

/// <summary>
/// Folds the events stored since the last run into the per-day rollups (<see cref="Rollup"/>), by
/// rowid: everything above the watermark, late events with old timestamps included, in chunks of
/// <see cref="Chunk"/> events, each one write transaction that also moves the watermark, so the
/// ingest writer never waits long and a reader never sees an event counted twice or not at all.
/// Ingest goes first: while the writer has events waiting, a scheduled run leaves them the write
/// lock and folds nothing (queries stay exact, reading a longer raw tail), unless the oldest event
/// waiting to be folded came in more than <see cref="MaxDeferral"/> ago or
/// <see cref="MaxDeferredEvents"/> are waiting.
/// </summary>
public sealed class RollupJob(IDbContextFactory<DashboardDbContext> dbFactory, EventWriter? writer = null, TimeProvider? clock = null)
{
    public const string Id = "rollups";
    public const int Chunk = 50_000;

    /// <summary>
    /// Every 15 seconds (a cron with seconds): queries read the events above the watermark raw, so
    /// the more often it moves, the less they read. A run with nothing to fold is one short write
    /// transaction.
    /// </summary>
    public const string Cron = "*/15 * * * * *";

    /// <summary>Events above the watermark past which a run folds even while ingest is busy.</summary>
    internal long MaxDeferredEvents { get; init; } = 500_000;

    /// <summary>The longest an event waits to be folded because ingest is busy.</summary>
    public static readonly TimeSpan MaxDeferral = TimeSpan.FromMinutes(1);

    /// <summary>Runs until the rollups hold every stored event (or <paramref name="upTo"/>); returns the events folded in.</summary>
    public async Task<long> RunAsync(CancellationToken ct, long? upTo = null)
    {
        long total = 0;
        while (true)
        {
            if (writer is not null && !await IngestIdleAsync(writer, ct) && await MayWaitAsync(ct)) return total;
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            db.Database.SetCommandTimeout(TimeSpan.FromMinutes(5));
            await db.Database.OpenConnectionAsync(ct);
            // BEGIN IMMEDIATE: the watermark and the max rowid are read under the write lock, so no
            // commit can slip in between.
            await using var tx = ((SqliteConnection)db.Database.GetDbConnection()).BeginTransaction(deferred: false);
            await db.Database.UseTransactionAsync(tx, ct);
            var from = await Rollup.WatermarkAsync(db, ct);
            var max = await db.Events.MaxAsync(e => (long?)e.Id, ct) ?? 0;
            var to = Math.Min(Math.Min(max, upTo ?? long.MaxValue), from + Chunk);
            if (to <= from) return total;
            await Rollup.ApplyAsync(db, $"""e."Id" > {from} AND e."Id" <= {to}""", 1, ct);
            Operations.FaultPoint.Reach(Operations.FaultPoint.RollupFold);
            await Rollup.SetWatermarkAsync(db, to, ct);
            await tx.CommitAsync(ct);
            total += to - from;
        }
    }

    /// <summary>True once the writer has had nothing waiting at three looks in a row, 20 ms apart, within a second.</summary>
    private static async Task<bool> IngestIdleAsync(EventWriter writer, CancellationToken ct)
    {
        var quiet = 0;
        for (var look = 0; look < 50; look++)
        {
            quiet = writer.QueuedEvents == 0 ? quiet + 1 : 0;
            if (quiet == 3) return true;
            await Task.Delay(20, ct);
        }
        return false;
    }

    /// <summary>True when the events above the watermark are fewer than the limit and the oldest came in under the deferral.</summary>
    private async Task<bool> MayWaitAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var watermark = await Rollup.WatermarkAsync(db, ct);
        var oldest = await Rollup.OldestUnfoldedAsync(db, ct);
        if (oldest is null) return true;
        var waiting = (await db.Events.MaxAsync(e => (long?)e.Id, ct) ?? 0) - watermark;
        var nowMs = (clock ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds();
        return waiting < MaxDeferredEvents && nowMs - oldest < (long)MaxDeferral.TotalMilliseconds;
    }
}
