using Dashboard.Client;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.FeatureManagement;

namespace Microsoft.Extensions.DependencyInjection;

public static class FlagsServiceCollectionExtensions
{
    /// <summary>
    /// Microsoft.FeatureManagement with the dashboard's flags: <c>[FeatureGate]</c>, <c>IFeatureManager</c>,
    /// <c>IVariantFeatureManager</c> and the <c>&lt;feature&gt;</c> tag helper answer what the server evaluated for the current user.
    /// </summary>
    public static IFeatureManagementBuilder AddDashboardFeatureManagement(this IServiceCollection services, Action<DashboardFlagsOptions> configure)
    {
        services.AddDashboardConnection(configure, FlagEvaluations.HttpClientName, o => o.Endpoint, o => o.ClientKey);
        services.AddHttpContextAccessor();
        services.TryAddSingleton<FlagEvaluations>();
        services.TryAddSingleton<FlagContextAccessor>();
        var builder = services.AddFeatureManagement()
            .AddFeatureFilter<DashboardFlagFilter>()
            .WithTargeting<DashboardTargetingContextAccessor>();
        // Ours instead of the configuration-backed provider AddFeatureManagement registers.
        services.RemoveAll<IFeatureDefinitionProvider>();
        services.AddSingleton<IFeatureDefinitionProvider, DashboardFeatureDefinitionProvider>();
        return builder;
    }
}
