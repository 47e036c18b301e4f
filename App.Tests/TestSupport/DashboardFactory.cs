using Dashboard.Access;
using Dashboard.Data;
using Dashboard.Jobs;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

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

    /// <summary>The password of the first admin (user name "admin"), from <c>Auth:AdminPassword</c>.</summary>
    public const string AdminPassword = "Admin-Test-Pass-1";

    /// <summary>Every log line the app wrote, formatted, with exceptions.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Logs { get; } = new();

    private readonly Dictionary<string, string?> _settings;
    private readonly bool _kestrel;
    private readonly bool _scheduleJobs;
    private readonly TimeProvider? _clock;

    /// <param name="scheduleJobs">false: the recurring jobs are not scheduled (tests that run a job themselves).</param>
    /// <param name="clock">The application's clock (null: the system's).</param>
    public DashboardFactory(IDictionary<string, string?>? settings = null, bool kestrel = false, bool scheduleJobs = true, TimeProvider? clock = null)
    {
        _clock = clock;
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
            ["Auth:AdminPassword"] = AdminPassword,
            ["Auth:FailedSignInDelayMs"] = "50",
        };
        if (settings is not null)
            foreach (var (k, v) in settings) _settings[k] = v;
        _kestrel = kestrel;
        _scheduleJobs = scheduleJobs;
        if (kestrel) UseKestrel(0);
        // Outside Development the session and antiforgery cookies are Secure, so in-memory clients speak HTTPS.
        ClientOptions.BaseAddress = new Uri("https://localhost");
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
        builder.ConfigureLogging(logging => logging.AddProvider(new CapturingLoggerProvider(Logs)));
        if (!_scheduleJobs)
            builder.ConfigureTestServices(services =>
                services.Remove(services.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(JobSchedule))));
        if (_clock is { } clock) builder.ConfigureTestServices(services => services.AddSingleton(clock));
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

    /// <summary>A client that keeps cookies and does not follow redirects, on TestServer or Kestrel.</summary>
    public HttpClient CreateBrowserLikeClient()
    {
        if (!_kestrel) return CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = ClientOptions.BaseAddress, AllowAutoRedirect = false, HandleCookies = true });
        var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new System.Net.CookieContainer() };
        return new HttpClient(handler) { BaseAddress = ServerAddress };
    }

    /// <summary>Creates a person with the role (a unique user name) and returns their name and password.</summary>
    public async Task<(string UserName, string Password)> CreatePersonAsync(string role)
    {
        var userName = $"{role}-{Guid.NewGuid():N}"[..(role.Length + 13)];
        const string password = "Person-Pass-42";
        var errors = await Services.GetRequiredService<PeopleAdmin>().CreateAsync(userName, role, password);
        if (errors.Count > 0) throw new InvalidOperationException(string.Join(" ", errors));
        return (userName, password);
    }

    /// <summary>
    /// A client signed in as a new person with the role, through the real sign-in form: it reads the
    /// form (with its antiforgery token) and posts it, as a browser would.
    /// </summary>
    public async Task<HttpClient> CreateSessionClientAsync(string role)
    {
        var (userName, password) = await CreatePersonAsync(role);
        var client = CreateBrowserLikeClient();
        using var response = await SignInAsync(client, userName, password);
        if (response.StatusCode != System.Net.HttpStatusCode.Redirect)
            throw new InvalidOperationException($"sign-in as {userName} answered {(int)response.StatusCode}, not a redirect");
        return client;
    }

    /// <summary>Posts the sign-in form with the client's cookies; the answer is a redirect on success.</summary>
    public static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string userName, string password, string returnUrl = "/")
    {
        var path = "/account/login?returnUrl=" + Uri.EscapeDataString(returnUrl);
        var form = LoginForm.HiddenFields(await client.GetStringAsync(path));
        form["Input.UserName"] = userName;
        form["Input.Password"] = password;
        return await client.PostAsync(path, new FormUrlEncodedContent(form));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm", ".migrate-lock" })
        {
            try { File.Delete(DatabasePath + suffix); } catch (IOException) { }
        }
    }
}

public static class ReadApiClients
{
    /// <summary>A client that presents the configured read key, as a program reading the API would.</summary>
    public static HttpClient CreateReaderClient(this WebApplicationFactory<Program> factory)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", DashboardFactory.ReadKey);
        return client;
    }
}
