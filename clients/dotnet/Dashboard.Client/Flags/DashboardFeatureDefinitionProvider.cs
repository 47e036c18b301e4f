using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.FeatureManagement;

namespace Dashboard.Client;

/// <summary>
/// Feature definitions from the dashboard's flags. Every flag is conditional on
/// <see cref="DashboardFlagFilter"/>, and its variant is the one the server chose for the current
/// context (served as the default variant, whether the flag is on or off), so
/// <c>IVariantFeatureManager.GetVariantAsync</c> answers the server's variant.
/// </summary>
internal sealed class DashboardFeatureDefinitionProvider(FlagEvaluations evaluations, FlagContextAccessor contexts) : IFeatureDefinitionProvider
{
    private static readonly IConfiguration NoParameters = new ConfigurationBuilder().Build();

    public async Task<FeatureDefinition> GetFeatureDefinitionAsync(string featureName)
    {
        var flags = await evaluations.GetAsync(contexts.Current()).ConfigureAwait(false);
        // null is "no such feature" to the feature manager (off, or an error when missing features are not ignored).
        return flags.TryGetValue(featureName, out var flag) ? Definition(flag) : null!;
    }

    public async IAsyncEnumerable<FeatureDefinition> GetAllFeatureDefinitionsAsync()
    {
        foreach (var flag in (await evaluations.GetAsync(contexts.Current()).ConfigureAwait(false)).Values) yield return Definition(flag);
    }

    private static FeatureDefinition Definition(FlagValue flag) => new()
    {
        Name = flag.Key,
        EnabledFor = [new FeatureFilterConfiguration { Name = DashboardFlagFilter.Alias, Parameters = NoParameters }],
        Variants = flag.Variant is { } v ? [new VariantDefinition { Name = v }] : [],
        Allocation = flag.Variant is { } variant ? new Allocation { DefaultWhenEnabled = variant, DefaultWhenDisabled = variant } : null,
    };
}
