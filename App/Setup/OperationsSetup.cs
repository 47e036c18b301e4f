using Dashboard.Access;
using Dashboard.Operations;
using OpenTelemetry.Metrics;

namespace Dashboard.Setup;

/// <summary>Metrics in Prometheus text at <c>/metrics</c> (a read or admin key, or a session) and the readiness check.</summary>
public static class OperationsSetup
{
    public static IServiceCollection AddDashboardOperations(this IServiceCollection services)
    {
        services.AddSingleton<DashboardGauges>();
        services.AddSingleton<OperationsFigures>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(DashboardMeters.Name, "Dashboard.Ingest")
            .AddAspNetCoreInstrumentation()
            .AddPrometheusExporter());
        return services;
    }

    public static WebApplication MapDashboardOperations(this WebApplication app)
    {
        app.Services.GetRequiredService<OperationsFigures>(); // the gauges exist, and are listened to, from the start
        app.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization(AccessPolicies.Reader);
        app.MapReadiness();
        return app;
    }
}
