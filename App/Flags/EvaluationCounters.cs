using System.Collections.Concurrent;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dashboard.Flags;

/// <summary>One flag's evaluations since the last flush.</summary>
public sealed class EvaluationCounter
{
    private long _count;
    public void Increment()
    {
        Interlocked.Increment(ref _count);
        Operations.DashboardMeters.FlagEvaluations.Add(1);
    }
    internal long Take() => Interlocked.Exchange(ref _count, 0);
    internal void Return(long count) => Interlocked.Add(ref _count, count);
}

/// <summary>
/// Counts evaluations per flag in memory (an interlocked increment per evaluation) and adds them
/// to <c>FlagEvaluationCounts</c> (flag, UTC hour) every <see cref="FlagOptions.CountFlushSeconds"/>
/// and on shutdown. A flush is attributed to the hour it runs in, so counts near an hour's end may
/// land in the next hour by up to one flush interval.
/// </summary>
public sealed class EvaluationCounters(
    IDbContextFactory<DashboardDbContext> dbFactory,
    IOptions<FlagOptions> options,
    TimeProvider clock,
    ILogger<EvaluationCounters> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, EvaluationCounter> _counters = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _flush = new(1, 1);

    public EvaluationCounter For(string flagKey) => _counters.GetOrAdd(flagKey, _ => new EvaluationCounter());

    /// <summary>Writes the counts taken so far; on failure they are put back for the next flush.</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        await _flush.WaitAsync(ct);
        try
        {
            var taken = new List<(string Key, EvaluationCounter Counter, long Count)>();
            foreach (var (key, counter) in _counters)
            {
                var n = counter.Take();
                if (n > 0) taken.Add((key, counter, n));
            }
            if (taken.Count == 0) return;
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var hour = now - now % 3_600_000;
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(ct);
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                foreach (var (key, _, n) in taken)
                {
                    await db.Database.ExecuteSqlInterpolatedAsync($"""
                        INSERT INTO FlagEvaluationCounts (FlagKey, HourStart, Count) VALUES ({key}, {hour}, {n})
                        ON CONFLICT (FlagKey, HourStart) DO UPDATE SET Count = FlagEvaluationCounts.Count + excluded.Count
                        """, ct);
                }
                await tx.CommitAsync(ct);
            }
            catch
            {
                foreach (var (_, counter, n) in taken) counter.Return(n);
                throw;
            }
        }
        finally
        {
            _flush.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, options.Value.CountFlushSeconds)), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await FlushAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Writing flag evaluation counts failed; they are kept for the next flush");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await FlushAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Writing flag evaluation counts at shutdown failed");
        }
    }
}
