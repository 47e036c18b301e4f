using Dashboard.Access;
using Dashboard.Data;

namespace Dashboard.Setup;

/// <summary>
/// Runs once at start-up, before the batch writer, in this order: migrations, seeds and the
/// taxonomy cache; API keys, the admin account and a first write key; the demo data set; and,
/// once the host listens, the console banner.
/// </summary>
public sealed class StartupTasks(DatabaseInitializer database, AccessBootstrap access, StartupBanner banner,
    IHostApplicationLifetime lifetime) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        await database.MigrateAndSeedAsync(ct);
        var created = await access.EnsureAsync(ct);
        await database.SeedDemoDataAsync(ct);
        lifetime.ApplicationStarted.Register(() => banner.Print(created));
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
