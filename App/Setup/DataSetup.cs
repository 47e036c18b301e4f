using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Setup;

public static class DataSetup
{
    public static IServiceCollection AddDashboardData(this IServiceCollection services)
    {
        services.AddSingleton<DatabaseLocation>();
        services.AddDbContextFactory<DashboardDbContext>((sp, options) =>
            options.UseSqlite(sp.GetRequiredService<DatabaseLocation>().ConnectionString));
        services.AddSingleton<SeedData>();
        // Registered before the writer so the schema exists when the writer prepares its commands.
        services.AddHostedService<DatabaseInitializer>();
        return services;
    }
}
