using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Setup;

public static class DataSetup
{
    public static IServiceCollection AddDashboardData(this IServiceCollection services)
    {
        services.AddSingleton<DatabaseLocation>();
        services.AddDbContextFactory<DashboardDbContext>((sp, options) =>
        {
            var database = sp.GetRequiredService<DatabaseLocation>();
            options.UseDashboardSqlite(database.ConnectionString).AddInterceptors(new SqliteSizeLimit(() => database.MaxPageCount));
            if (Operations.FaultPoint.IsArmed(Operations.FaultPoint.Migration)) options.AddInterceptors(new Operations.MigrationFaultPoint());
        });
        services.AddSingleton<SeedData>();
        services.AddSingleton<DatabaseInitializer>();
        return services;
    }

    /// <summary>The store's provider settings, for the application and for tools that open a database file themselves.</summary>
    public static DbContextOptionsBuilder UseDashboardSqlite(this DbContextOptionsBuilder options, string connectionString) =>
        options.UseSqlite(connectionString).AddInterceptors(new SqliteMemoryMap(), new SqliteInterrupt());
}
