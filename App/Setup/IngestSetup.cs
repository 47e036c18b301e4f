using Dashboard.Access;
using Dashboard.Ingest;
using Dashboard.Live;
using Dashboard.Schema;

namespace Dashboard.Setup;

public static class IngestSetup
{
    public static IServiceCollection AddDashboardIngest(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<IngestOptions>(configuration.GetSection("Ingest"));
        services.AddSingleton<IngestNotifier>();
        services.AddSingleton<TaxonomyCache>();
        services.AddSingleton<EventValidator>();
        services.AddSingleton<EventWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<EventWriter>());
        services.AddSingleton<QuarantineReplayer>();
        // analytics.js puts the write key in the settings path; request lines must not carry it.
        KeyRedactingLoggerFactory.Register(services);
        return services;
    }
}
