using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Dashboard.Operations;

/// <summary>One insight's request timings since start.</summary>
public sealed record InsightTiming(string Insight, long Requests, double MeanMs, double MaxMs);

/// <summary>
/// The figures of <c>/metrics</c> at one moment. Rates and the commit latency are over
/// <see cref="Window"/> (the last minute, or since start when that is shorter); totals since start.
/// Gauges are null until the first reading.
/// </summary>
public sealed record OperationsSnapshot(
    TimeSpan Window,
    long Accepted, long Duplicates, long Rejected, long FlagEvaluations,
    double AcceptedPerSecond, double DuplicatesPerSecond, double RejectedPerSecond, double FlagEvaluationsPerSecond,
    double? QueueDepth, double? RollupLagSeconds,
    long Commits, double? CommitMeanMs, double? CommitMeanMsSinceStart,
    IReadOnlyList<InsightTiming> Insights);

/// <summary>
/// Reads the instruments that <c>/metrics</c> exports (<see cref="DashboardMeters"/>, the writer's
/// <c>Dashboard.Ingest</c> meter and this application's <see cref="DashboardGauges"/>) with a
/// <see cref="MeterListener"/>, so the store overview shows the very figures a scraper gets. The
/// counters of the static meters are the process's; gauges are taken from this application's own
/// meter factory only.
/// </summary>
public sealed class OperationsFigures : IDisposable
{
    private const string IngestMeter = "Dashboard.Ingest";
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(5);

    private readonly MeterListener _listener = new();
    private readonly TimeProvider _clock;
    private readonly object _gate = new();
    private long _accepted, _duplicates, _rejected, _evaluations, _commits;
    private double _commitMsSum;
    private double? _queueDepth, _rollupLag;
    private readonly ConcurrentDictionary<string, (long Count, double Sum, double Max)> _insights = new(StringComparer.Ordinal);
    private readonly Queue<Totals> _samples = new();

    private readonly record struct Totals(DateTimeOffset At, long Accepted, long Duplicates, long Rejected, long Evaluations, long Commits, double CommitMsSum);

    public OperationsFigures(IMeterFactory meters, DashboardGauges gauges, TimeProvider clock)
    {
        _ = gauges; // created first, so its gauges are published to this listener
        _clock = clock;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            var mine = instrument.Meter.Name == DashboardMeters.Name && (instrument.Meter.Scope is null || ReferenceEquals(instrument.Meter.Scope, meters));
            if (mine || instrument.Meter.Name == IngestMeter) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            switch (instrument.Name)
            {
                case "dashboard.ingest.accepted": Interlocked.Add(ref _accepted, value); break;
                case "dashboard.ingest.duplicates": Interlocked.Add(ref _duplicates, value); break;
                case "dashboard.ingest.rejected": Interlocked.Add(ref _rejected, value); break;
                case "dashboard.flags.evaluations": Interlocked.Add(ref _evaluations, value); break;
            }
        });
        _listener.SetMeasurementEventCallback<int>((instrument, value, _, _) =>
        {
            if (instrument.Name == "dashboard.ingest.queue_depth") _queueDepth = value;
        });
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            switch (instrument.Name)
            {
                case "dashboard.ingest.batch_write_ms":
                    lock (_gate)
                    {
                        _commits++;
                        _commitMsSum += value;
                    }
                    break;
                case "dashboard.rollups.lag": _rollupLag = value; break;
                case "dashboard.insights.duration":
                    var insight = "";
                    foreach (var tag in tags) if (tag.Key == "insight") insight = tag.Value as string ?? "";
                    var ms = value * 1000;
                    _insights.AddOrUpdate(insight, (1, ms, ms), (_, t) => (t.Count + 1, t.Sum + ms, Math.Max(t.Max, ms)));
                    break;
            }
        });
        _listener.Start();
        lock (_gate) _samples.Enqueue(Now());
    }

    private Totals Now() => new(_clock.GetUtcNow(), Interlocked.Read(ref _accepted), Interlocked.Read(ref _duplicates), Interlocked.Read(ref _rejected),
        Interlocked.Read(ref _evaluations), _commits, _commitMsSum);

    /// <summary>Reads the gauges (the rollup lag is one query) and returns the figures.</summary>
    public OperationsSnapshot Read()
    {
        _listener.RecordObservableInstruments();
        Totals now, from;
        lock (_gate)
        {
            now = Now();
            while (_samples.Count > 1 && now.At - _samples.ElementAt(1).At >= Window) _samples.Dequeue();
            from = _samples.Peek();
            if (now.At - _samples.Last().At >= SampleEvery) _samples.Enqueue(now);
        }
        var window = now.At - from.At;
        var seconds = Math.Max(window.TotalSeconds, 1);
        double Rate(long a, long b) => (a - b) / seconds;
        var commitsInWindow = now.Commits - from.Commits;
        return new OperationsSnapshot(window,
            now.Accepted, now.Duplicates, now.Rejected, now.Evaluations,
            Rate(now.Accepted, from.Accepted), Rate(now.Duplicates, from.Duplicates), Rate(now.Rejected, from.Rejected), Rate(now.Evaluations, from.Evaluations),
            _queueDepth, _rollupLag,
            now.Commits, commitsInWindow > 0 ? (now.CommitMsSum - from.CommitMsSum) / commitsInWindow : null,
            now.Commits > 0 ? now.CommitMsSum / now.Commits : null,
            [.. _insights.OrderBy(i => i.Key, StringComparer.Ordinal).Select(i => new InsightTiming(i.Key, i.Value.Count, i.Value.Sum / i.Value.Count, i.Value.Max))]);
    }

    public void Dispose() => _listener.Dispose();
}
