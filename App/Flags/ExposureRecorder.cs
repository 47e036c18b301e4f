using System.Collections.Concurrent;
using Dashboard.Ingest;

namespace Dashboard.Flags;

/// <summary>
/// Records a user's first exposure to a running experiment through the event writer's batching:
/// the exposure is enqueued and nobody waits for its commit. A set of (experiment, user) pairs
/// already sent keeps repeated evaluations from enqueueing again; the table's unique index keeps
/// the first exposure if the set forgets. The set is bounded by its pairs and its estimated bytes
/// (<see cref="MaxRemembered"/>, <see cref="MaxRememberedBytes"/>) and is emptied when it reaches
/// either, so evaluations with endless fresh targeting keys cannot grow it without end.
/// A full queue (exposures have a small share of it and give way first) or a failed write never
/// fails the evaluation: the pair is forgotten and the next evaluation tries again.
/// </summary>
public sealed class ExposureRecorder(EventWriter writer, ILogger<ExposureRecorder> logger)
{
    public const int MaxRemembered = 200_000;
    public const long MaxRememberedBytes = 32L * 1024 * 1024;
    private const int PairOverheadBytes = 80;

    private readonly ConcurrentDictionary<(string Experiment, string User), byte> _sent = new();
    private long _rememberedBytes;

    /// <summary>The estimated memory of the pairs remembered, for tests and diagnostics.</summary>
    public long RememberedBytes => Interlocked.Read(ref _rememberedBytes);

    public int Remembered => _sent.Count;

    public void Record(string experimentKey, string flagKey, string userKey, string variant, long timestamp)
    {
        var pair = (experimentKey, userKey);
        if (_sent.ContainsKey(pair)) return;
        if (_sent.Count >= MaxRemembered || Interlocked.Read(ref _rememberedBytes) >= MaxRememberedBytes) Forget();
        if (!_sent.TryAdd(pair, 0)) return;
        var bytes = Size(pair);
        Interlocked.Add(ref _rememberedBytes, bytes);
        var request = new WriteRequest([], [], timestamp, [new ExposureItem(experimentKey, flagKey, userKey, variant, timestamp)]);
        if (!writer.TryEnqueue(request))
        {
            Remove(pair);
            return;
        }
        request.Task.ContinueWith(t =>
        {
            Remove(pair);
            logger.LogWarning(t.Exception?.GetBaseException(), "An exposure to {Experiment} could not be written", experimentKey);
        }, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private static long Size((string Experiment, string User) pair) => 2L * (pair.Experiment.Length + pair.User.Length) + PairOverheadBytes;

    private void Remove((string, string) pair)
    {
        if (_sent.TryRemove(pair, out _)) Interlocked.Add(ref _rememberedBytes, -Size(pair));
    }

    private void Forget()
    {
        // Pairs added while this runs may be counted once too often or too rarely; the next clear corrects it.
        _sent.Clear();
        Interlocked.Exchange(ref _rememberedBytes, 0);
    }
}
