using Dashboard.Flags;

namespace Dashboard.Setup;

public static class FlagsSetup
{
    public static IServiceCollection AddDashboardFlags(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<FlagOptions>(configuration.GetSection("Flags"));
        services.AddSingleton<EvaluationCounters>();
        services.AddHostedService(sp => sp.GetRequiredService<EvaluationCounters>());
        services.AddSingleton<FlagCache>();
        services.AddHostedService(sp => sp.GetRequiredService<FlagCache>());
        services.AddSingleton<StoredTraits>();
        services.AddHostedService(sp => sp.GetRequiredService<StoredTraits>());
        services.AddSingleton<ExposureRecorder>();
        services.AddSingleton<LiveEvaluator>();
        services.AddSingleton<FlagQueries>();
        services.AddSingleton<FlagAdmin>();
        return services;
    }

    public static WebApplication MapDashboardFlags(this WebApplication app)
    {
        app.MapOfrep();
        app.MapFlagApi();
        return app;
    }
}
