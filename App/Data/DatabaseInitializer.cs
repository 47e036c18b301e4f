using Dashboard.Access;
using Dashboard.Data.Seeding;
using Dashboard.Schema;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data;

/// <summary>
/// Runs once at start-up, before the batch writer: applies migrations, seeds the taxonomy,
/// flags and experiments when their tables are empty, loads the caches, makes sure an admin account and a write key
/// exist, and fills
/// the demo data set into an empty database when <c>Demo:Seed</c> is true.
/// </summary>
public sealed class DatabaseInitializer(
    IDbContextFactory<DashboardDbContext> dbFactory,
    DatabaseLocation database,
    SeedData seed,
    TaxonomyCache taxonomy,
    ApiKeyStore keys,
    PeopleAdmin people,
    Microsoft.Extensions.Options.IOptions<AuthOptions> auth,
    IConfiguration configuration,
    IHostApplicationLifetime lifetime,
    IServer server,
    TimeProvider clock,
    ILogger<DatabaseInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            await db.Database.MigrateAsync(ct);
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            if (!await db.EventDefinitions.AnyAsync(ct)) db.EventDefinitions.AddRange(seed.Taxonomy(now));
            if (!await db.Flags.AnyAsync(ct)) db.Flags.AddRange(seed.Flags(now));
            if (!await db.Experiments.AnyAsync(ct)) db.Experiments.AddRange(seed.Experiments(now));
            await db.SaveChangesAsync(ct);
        }
        await taxonomy.ReloadAsync(ct);
        await keys.ReloadAsync(ct);

        var admin = await people.EnsureAdminAsync(auth.Value.AdminPassword, ct);

        string? newWriteKey = null;
        if (!keys.HasAnyWithRole(ApiRoles.Write))
            newWriteKey = await keys.CreateAsync("Generated at first start", ApiRoles.Write, ct);

        if (configuration.GetValue("Demo:Seed", true))
        {
            var written = await DemoDataWriter.SeedIfEmptyAsync(dbFactory, database, seed, clock, ct);
            if (written > 0) logger.LogInformation("Demo data: {Messages} messages written (events and identify calls)", written);
        }

        lifetime.ApplicationStarted.Register(() => PrintBanner(admin, newWriteKey));
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>Written to the console, never the log: a generated password or key is shown exactly once.</summary>
    private void PrintBanner(BootstrapResult admin, string? newWriteKey)
    {
        var urls = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        Console.WriteLine();
        Console.WriteLine($"Dashboard is running at {string.Join(", ", urls)}");
        Console.WriteLine($"Database: {database.FilePath}");
        if (admin.GeneratedPassword is { } password)
            Console.WriteLine($"Admin login (shown once, store it now): user {AccountRoles.BootstrapAdmin}, password {password}");
        else if (admin.Created)
            Console.WriteLine($"Admin login: user {AccountRoles.BootstrapAdmin}, password from Auth:AdminPassword");
        else
            Console.WriteLine("Sign in with an existing account; admins manage people at /admin/people");
        if (newWriteKey is not null)
        {
            Console.WriteLine($"Write key (shown once, store it now): {newWriteKey}");
            Console.WriteLine($"  curl -u {newWriteKey}: -H 'Content-Type: application/json' {urls.FirstOrDefault() ?? "http://localhost:5000"}/ingest \\");
            Console.WriteLine("       -d '{\"event\":\"FEATURE_ENGAGED\",\"userId\":\"u1\",\"properties\":{\"featureName\":\"export\",\"clickTarget\":\"button\"}}'");
        }
        Console.WriteLine();
    }
}
