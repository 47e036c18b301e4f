using System.Diagnostics.Metrics;
using Dashboard.Data;
using Dashboard.Ingest;
using Dashboard.Rollups;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Operations;

/// <summary>
/// The product's own instruments, exported at <c>/metrics</c> with the batch writer's
/// (<c>Dashboard.Ingest</c>) and ASP.NET Core's HTTP metrics.
/// </summary>
public static class DashboardMeters
{
    public const string Name = "Dashboard";
    private static readonly Meter Meter = new(Name);

    public static readonly Counter<long> IngestAccepted = Meter.CreateCounter<long>("dashboard.ingest.accepted", "{item}",
        "Items accepted by ingest (events, identify, group and alias calls), duplicates not included");
    public static readonly Counter<long> IngestDuplicates = Meter.CreateCounter<long>("dashboard.ingest.duplicates", "{item}",
        "Events not stored again because their messageId was already stored");
    public static readonly Counter<long> IngestRejected = Meter.CreateCounter<long>("dashboard.ingest.rejected", "{item}",
        "Items refused one by one (quarantined, or a merge refused)");
    public static readonly Counter<long> FlagEvaluations = Meter.CreateCounter<long>("dashboard.flags.evaluations", "{evaluation}",
        "Flag evaluations served");
    public static readonly Histogram<double> InsightDuration = Meter.CreateHistogram<double>("dashboard.insights.duration", "s",
        "Time to answer an insight request, per insight");
}

/// <summary>Gauges read when <c>/metrics</c> is scraped: the write queue's depth and how far the rollups are behind.</summary>
public sealed class DashboardGauges : IDisposable
{
    private readonly Meter _meter;

    public DashboardGauges(IMeterFactory meters, EventWriter writer, IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
    {
        _meter = meters.Create(DashboardMeters.Name);
        _meter.CreateObservableGauge("dashboard.ingest.queue_depth", () => writer.QueuedEvents, "{item}", "Items waiting for a commit");
        _meter.CreateObservableGauge("dashboard.rollups.lag", () => RollupLagSeconds(dbFactory, clock), "s",
            "Age of the oldest event the rollups have not folded (0 when none is waiting)");
    }

    private static double RollupLagSeconds(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
    {
        using var db = dbFactory.CreateDbContext();
        return LagSeconds(Rollup.OldestUnfoldedAsync(db, CancellationToken.None).GetAwaiter().GetResult(), clock);
    }

    /// <summary>Seconds since the oldest unfolded event came in; 0 when none waits.</summary>
    public static double LagSeconds(long? oldestReceivedMs, TimeProvider clock) =>
        oldestReceivedMs is { } received ? Math.Max(0, (clock.GetUtcNow().ToUnixTimeMilliseconds() - received) / 1000.0) : 0;

    public void Dispose() => _meter.Dispose();
}
