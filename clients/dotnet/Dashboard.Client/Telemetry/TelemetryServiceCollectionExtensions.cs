using Dashboard.Client;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>Registers <see cref="ITelemetry"/> and the background service that sends its batches.</summary>
    public static IServiceCollection AddDashboardTelemetry(this IServiceCollection services, Action<DashboardTelemetryOptions> configure)
    {
        services.AddDashboardConnection(configure, TelemetrySender.HttpClientName, o => o.Endpoint, o => o.WriteKey,
                // each attempt has its own RequestTimeout
                (_, http) => http.Timeout = Timeout.InfiniteTimeSpan)
            .Validate(o => o.BatchSize > 0 && o.MaxAttempts > 0 && o.FlushInterval > TimeSpan.Zero && o.QueueCapacity > 0,
                "DashboardTelemetryOptions: BatchSize, MaxAttempts, FlushInterval and QueueCapacity must be positive");
        services.TryAddSingleton<TelemetryQueue>();
        services.TryAddSingleton<ITelemetry>(sp => sp.GetRequiredService<TelemetryQueue>());
        services.AddHostedService<TelemetrySender>();
        return services;
    }
}
