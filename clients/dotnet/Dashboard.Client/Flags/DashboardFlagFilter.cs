using Microsoft.FeatureManagement;

namespace Dashboard.Client;

/// <summary>On when the server evaluated the flag on for the current context.</summary>
[FilterAlias(Alias)]
internal sealed class DashboardFlagFilter(FlagEvaluations evaluations, FlagContextAccessor contexts) : IFeatureFilter
{
    public const string Alias = "Dashboard";

    public async Task<bool> EvaluateAsync(FeatureFilterEvaluationContext context) =>
        (await evaluations.GetAsync(contexts.Current(), context.CancellationToken).ConfigureAwait(false))
            .TryGetValue(context.FeatureName, out var flag) && flag.Enabled;
}
