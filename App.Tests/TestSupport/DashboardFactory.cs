using Dashboard.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.TestSupport;

/// <summary>
/// The real application on a fresh SQLite file of its own, migrated at start-up like production.
/// Known keys are configured for each role. Settings can be overridden per test.
/// </summary>
public sealed class DashboardFactory : WebApplicationFactory<Program>
{
    public const string WriteKey = "wk_test_write_key";
    public const string ClientKey = "ck_test_client_key";
    public const string ReadKey = "rk_test_read_key";
    public const string AdminKey = "ak_test_admin_key";

    private readonly Dictionary<string, string?> _settings;
    private readonly bool _kestrel;

    public DashboardFactory(IDictionary<string, string?>? settings = null, bool kestrel = false)
    {
        DatabasePath = Path.Combine(Path.GetTempPath(), "dashboard-tests", $"{Guid.NewGuid():N}.db");
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        _settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Dashboard"] = $"Data Source={DatabasePath}",
            ["Demo:Seed"] = "false",
            ["Ingest:Synchronous"] = "Normal",
            ["Auth:ApiKeys:0:Key"] = WriteKey,
            ["Auth:ApiKeys:0:Role"] = "write",
            ["Auth:ApiKeys:1:Key"] = ClientKey,
            ["Auth:ApiKeys:1:Role"] = "client",
            ["Auth:ApiKeys:2:Key"] = ReadKey,
            ["Auth:ApiKeys:2:Role"] = "read",
            ["Auth:ApiKeys:3:Key"] = AdminKey,
            ["Auth:ApiKeys:3:Role"] = "admin",
        };
        if (settings is not null)
            foreach (var (k, v) in settings) _settings[k] = v;
        _kestrel = kestrel;
        if (kestrel) UseKestrel(0);
    }

    public string DatabasePath { get; }

    /// <summary>The address of the real Kestrel server (only with kestrel: true).</summary>
    public Uri ServerAddress
    {
        get
        {
            StartServer();
            var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new Uri(address.Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1"));
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(_settings));
    }

    public DashboardDbContext CreateDbContext() =>
        Services.GetRequiredService<IDbContextFactory<DashboardDbContext>>().CreateDbContext();

    public HttpClient CreateIngestClient(string? key = WriteKey)
    {
        var client = _kestrel ? new HttpClient { BaseAddress = ServerAddress } : CreateClient();
        if (key is not null)
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            try { File.Delete(DatabasePath + suffix); } catch (IOException) { }
        }
    }
}
