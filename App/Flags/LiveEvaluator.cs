namespace Dashboard.Flags;

/// <summary>
/// Evaluates a cached flag for a caller and records what evaluations must leave behind: the
/// flag's evaluation count and, when the flag feeds a running experiment and the rollout split
/// served a variant, the user's exposure. Users a targeting rule decides are not randomized, so
/// they never enter an experiment. The evaluation itself is <see cref="FlagEvaluator"/>'s pure function.
/// </summary>
public sealed class LiveEvaluator(FlagCache cache, StoredTraits traits, ExposureRecorder exposures, TimeProvider clock)
{
    public FlagSnapshot Snapshot => cache.Snapshot;

    public bool TryGet(string key, out CachedFlag flag) => cache.TryGet(key, out flag);

    /// <summary>The caller's context with the user's stored traits behind it.</summary>
    public EvaluationContext Context(string targetingKey, IReadOnlyDictionary<string, string>? attributes) =>
        new(targetingKey, attributes, targetingKey.Length == 0 ? null : traits.For(targetingKey));

    /// <summary>The running experiment the flag feeds now, if any.</summary>
    public RunningExperiment? RunningExperiment(CachedFlag flag) =>
        flag.Experiments.Length == 0 ? null : flag.ExperimentAt(clock.GetUtcNow().ToUnixTimeMilliseconds());

    public Evaluation Evaluate(CachedFlag flag, in EvaluationContext context)
    {
        var result = FlagEvaluator.Evaluate(flag.Flag, context);
        flag.Counter.Increment();
        if (result is { Reason: EvaluationReason.Split, Variant: { } variant } && flag.Experiments.Length > 0)
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            if (flag.ExperimentAt(now) is { } experiment)
                exposures.Record(experiment.Key, flag.Flag.Key, context.TargetingKey, variant, now);
        }
        return result;
    }
}
