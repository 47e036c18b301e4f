using Dashboard.Access;
using Dashboard.Jobs;
using Hangfire;
using Hangfire.Dashboard;
using Hangfire.InMemory;

namespace Dashboard.Setup;

public static class JobsSetup
{
    public static IServiceCollection AddDashboardJobs(this IServiceCollection services)
    {
        // Storage and activator live in this container, not in Hangfire's static JobStorage.Current,
        // so two hosts in one process (tests) never share jobs.
        services.AddSingleton<JobStorage>(sp =>
        {
            // Resolving the configuration first installs this host's log provider before the storage logs.
            sp.GetRequiredService<IGlobalConfiguration>();
            return new InMemoryStorage();
        });
        services.AddSingleton<JobActivator>(sp => new Hangfire.AspNetCore.AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));
        services.AddHangfire((sp, cfg) => cfg
            .UseLogProvider(new HangfireLogProvider(sp.GetRequiredService<ILoggerFactory>()))
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings());
        services.AddHangfireServer((sp, o) =>
        {
            o.WorkerCount = 1;
            // Often enough for the rollups' 15-second schedule (default 15 s).
            o.SchedulePollingInterval = TimeSpan.FromSeconds(5);
            o.ServerName = "dashboard";
        });
        // The digest waits between delivery attempts: on a worker of its own, the rollups never wait with it.
        services.AddHangfireServer((sp, o) =>
        {
            o.WorkerCount = 1;
            o.Queues = [Dashboard.Digest.DigestJob.Queue];
            o.SchedulePollingInterval = TimeSpan.FromSeconds(5);
            o.ServerName = "dashboard-digest";
        });
        services.AddTransient<QuarantineRetentionJob>();
        services.AddTransient<EventRetentionJob>();
        services.AddTransient<RollupJob>();
        services.AddTransient<CohortJob>();
        services.AddTransient<Dashboard.Operations.BackupJob>();
        services.AddOptions<Dashboard.Operations.BackupOptions>().BindConfiguration("Backup");
        services.AddHostedService<JobSchedule>();
        return services;
    }

    public static WebApplication MapDashboardJobs(this WebApplication app)
    {
        // Admins only: the endpoint's policy redirects others to the sign-in page (or answers 403),
        // and Hangfire's own filter checks the role again for every dashboard request.
        app.MapHangfireDashboard("/hangfire", new DashboardOptions
            {
                Authorization = [new AdminDashboardAuthorizationFilter()],
                DashboardTitle = "Dashboard jobs",
                AppPath = "/",
            }, app.Services.GetRequiredService<JobStorage>())
            .RequireAuthorization(AccessPolicies.Admin);
        return app;
    }
}
