using System.Collections.Concurrent;
using Dashboard.Ingest;

namespace Dashboard.Flags;

/// <summary>
/// Records a user's first exposure to a running experiment through the event writer's batching:
/// the exposure is enqueued and nobody waits for its commit. A set of (experiment, user) pairs
/// already sent keeps repeated evaluations from enqueueing again; the table's unique index keeps
/// the first exposure if the set forgets (it is cleared when it grows past a million pairs).
/// A full queue or a failed write never fails the evaluation: the pair is forgotten and the
/// next evaluation tries again.
/// </summary>
public sealed class ExposureRecorder(EventWriter writer, ILogger<ExposureRecorder> logger)
{
    private const int MaxRemembered = 1_000_000;
    private readonly ConcurrentDictionary<(string Experiment, string User), byte> _sent = new();

    public void Record(string experimentKey, string flagKey, string userKey, string variant, long timestamp)
    {
        var pair = (experimentKey, userKey);
        if (_sent.ContainsKey(pair)) return;
        if (_sent.Count >= MaxRemembered) _sent.Clear();
        if (!_sent.TryAdd(pair, 0)) return;
        var request = new WriteRequest([], [], timestamp, [new ExposureItem(experimentKey, flagKey, userKey, variant, timestamp)]);
        if (!writer.TryEnqueue(request))
        {
            _sent.TryRemove(pair, out _);
            return;
        }
        request.Task.ContinueWith(t =>
        {
            _sent.TryRemove(pair, out _);
            logger.LogWarning(t.Exception?.GetBaseException(), "An exposure to {Experiment} could not be written", experimentKey);
        }, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
