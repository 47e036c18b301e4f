using System.Security.Cryptography;
using System.Text;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dashboard.Flags;

/// <summary>An experiment in state Running that a flag feeds, with its dates (Unix ms; null: open).</summary>
public sealed record RunningExperiment(string Key, long? Start, long? End)
{
    public bool Contains(long at) => (Start is null || at >= Start) && (End is null || at <= End);
}

/// <summary>One flag as evaluations see it: compiled, with its evaluation counter and the running experiments it feeds.</summary>
public sealed class CachedFlag(CompiledFlag flag, EvaluationCounter counter, RunningExperiment[] experiments)
{
    public CompiledFlag Flag { get; } = flag;
    public EvaluationCounter Counter { get; } = counter;
    public RunningExperiment[] Experiments { get; } = experiments;

    public RunningExperiment? ExperimentAt(long at)
    {
        foreach (var e in Experiments) if (e.Contains(at)) return e;
        return null;
    }
}

/// <summary>All flags at one moment; <see cref="Version"/> changes whenever any flag or experiment does.</summary>
public sealed class FlagSnapshot(IReadOnlyDictionary<string, CachedFlag> byKey, string version)
{
    public static readonly FlagSnapshot Empty = new(new Dictionary<string, CachedFlag>(), "empty");
    public IReadOnlyDictionary<string, CachedFlag> ByKey { get; } = byKey;
    public CachedFlag[] All { get; } = byKey.Values.OrderBy(f => f.Flag.Key, StringComparer.Ordinal).ToArray();
    public string Version { get; } = version;
}

/// <summary>
/// The flag state every evaluation reads, held in memory. It re-reads the <c>Flags</c> and
/// <c>Experiments</c> tables (both small) every <see cref="FlagOptions.ReloadIntervalMs"/> and swaps
/// in a new snapshot only when their content changed, so a change made by anyone (the admin page,
/// the API, the experiments pages, another process) is served within one second without a restart.
/// Writers in this process also call <see cref="ReloadAsync"/> right after their commit.
/// </summary>
public sealed class FlagCache(
    IDbContextFactory<DashboardDbContext> dbFactory,
    EvaluationCounters counters,
    IOptions<FlagOptions> options,
    ILogger<FlagCache> logger) : BackgroundService
{
    private volatile FlagSnapshot _snapshot = FlagSnapshot.Empty;
    private readonly SemaphoreSlim _reload = new(1, 1);

    public FlagSnapshot Snapshot => _snapshot;

    public bool TryGet(string key, out CachedFlag flag) => _snapshot.ByKey.TryGetValue(key, out flag!);

    public async Task ReloadAsync(CancellationToken ct = default)
    {
        await _reload.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var flags = await db.Flags.AsNoTracking().OrderBy(f => f.Key).ToListAsync(ct);
            var experiments = await db.Experiments.AsNoTracking()
                .Where(e => e.State == ExperimentState.Running)
                .OrderBy(e => e.Key)
                .Select(e => new { e.Key, e.FlagKey, e.Start, e.End })
                .ToListAsync(ct);

            var fingerprint = new StringBuilder();
            foreach (var f in flags)
                fingerprint.Append(f.Key).Append('\u001f').Append(f.Enabled).Append('\u001f').Append(f.RolloutBasisPoints).Append('\u001f')
                    .Append(f.Rules).Append('\u001f').Append(f.Variants).Append('\u001e');
            foreach (var e in experiments)
                fingerprint.Append(e.Key).Append('\u001f').Append(e.FlagKey).Append('\u001f').Append(e.Start).Append('\u001f').Append(e.End).Append('\u001e');
            var version = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(fingerprint.ToString())))[..16];
            if (version == _snapshot.Version) return;

            var byFlag = experiments.ToLookup(e => e.FlagKey, e => new RunningExperiment(e.Key, e.Start, e.End));
            var byKey = new Dictionary<string, CachedFlag>(StringComparer.Ordinal);
            foreach (var f in flags)
            {
                try
                {
                    byKey[f.Key] = new CachedFlag(new CompiledFlag(FlagState.FromRecord(f)), counters.For(f.Key), byFlag[f.Key].ToArray());
                }
                catch (System.Text.Json.JsonException ex)
                {
                    // A flag whose stored rules cannot be read is left out (evaluations answer FLAG_NOT_FOUND) rather than served wrongly.
                    logger.LogError(ex, "Flag {FlagKey} has unreadable rules or variants and is not served", f.Key);
                }
            }
            _snapshot = new FlagSnapshot(byKey, version);
        }
        finally
        {
            _reload.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(50, options.Value.ReloadIntervalMs)));
        try
        {
            do
            {
                try
                {
                    await ReloadAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Keep serving the last good snapshot.
                    logger.LogWarning(ex, "Reloading the flags failed; the previous state is still served");
                }
            } while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }
}
