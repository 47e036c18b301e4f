using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Dashboard.Data;
using Dashboard.Tests.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Dashboard.Tests.Browser;

/// <summary>
/// One headless Chromium and one Kestrel-hosted app with the demo data set, shared by every test
/// in the browser collection. Each test opens its own browser context, so cookies and circuits
/// are never shared; tests isolate their data by unique event names. The app is served over HTTPS
/// with a certificate made at start, as in production: outside Development the session and
/// antiforgery cookies are Secure, and antiforgery refuses to work over plain HTTP.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
    ];

    /// <summary>Waits on a loaded two-core machine can take far longer than on a laptop.</summary>
    public const float TimeoutMs = 30_000;

    private readonly DashboardFactory _factory = new(new Dictionary<string, string?> { ["Demo:Seed"] = "true" });
    private readonly WebApplicationFactory<Program> _app;
    private readonly X509Certificate2 _certificate = SelfSignedCertificate();
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private string? _adminState;

    public BrowserFixture()
    {
        // Outside Development the host only serves files under wwwroot; blazor.web.js and MudBlazor's
        // assets come from the static web assets manifest, so the browser's host loads it explicitly.
        // The derived factory keeps the database settings; Kestrel is set on it alone (a port given to
        // the parent would be copied and force a plain-HTTP address).
        _app = _factory.WithWebHostBuilder(builder => builder.UseStaticWebAssets());
        _app.UseKestrel(o => o.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(_certificate)));
    }

    private static X509Certificate2 SelfSignedCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        // Kestrel needs the private key in a form it can load on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A client of the Kestrel server that trusts the fixture's certificate (and no other).</summary>
    public HttpClient CreateHttpClient(string? bearer = null)
    {
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == _certificate.Thumbprint,
        };
        var client = new HttpClient(handler) { BaseAddress = ServerAddress };
        if (bearer is not null) client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        return client;
    }

    /// <summary>The Kestrel address the browser talks to.</summary>
    public Uri ServerAddress
    {
        get
        {
            var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new Uri(address.Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1"));
        }
    }

    public IServiceProvider Services => _app.Services;

    /// <summary>The app's SQLite file, for reading what was stored.</summary>
    public string DatabasePath => _factory.DatabasePath;

    public DashboardDbContext CreateDbContext() =>
        _app.Services.GetRequiredService<IDbContextFactory<DashboardDbContext>>().CreateDbContext();

    public HttpClient CreateIngestClient() => CreateHttpClient(DashboardFactory.WriteKey);

    public static bool ChromiumInstalled => File.Exists(ChromiumPath);

    public IBrowser Browser => _browser ?? throw new InvalidOperationException(
        $"No browser: Chromium was not found at {ChromiumPath}. Install Debian's chromium package.");

    public async Task InitializeAsync()
    {
        // Without Chromium the tests are skipped outside CI and fail in CI (BrowserFactAttribute);
        // either way there is nothing to start here.
        if (!ChromiumInstalled) return;
        Assertions.SetDefaultExpectTimeout(TimeoutMs);
        _ = ServerAddress; // starts Kestrel; the demo data is written before it listens
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
            Timeout = 60_000,
        });
        // Sign in once through the login page; every session starts with that cookie.
        await using var session = await OpenAsync(signedIn: false);
        await SignInAsync(session, "admin", DashboardFactory.AdminPassword);
        _adminState = await session.Context.StorageStateAsync();
    }

    /// <summary>Fills and submits the sign-in form, and waits until the browser has left it.</summary>
    public static async Task SignInAsync(PageSession session, string userName, string password, string path = "/account/login")
    {
        await session.GotoAsync(path);
        await session.Page.Locator("#username").FillAsync(userName);
        await session.Page.Locator("#password").FillAsync(password);
        await session.Page.Locator("[data-testid=sign-in]").ClickAsync();
        await session.Page.WaitForURLAsync(url => !url.Contains("/account/login", StringComparison.Ordinal));
    }

    public Dashboard.Access.PeopleAdmin People => _app.Services.GetRequiredService<Dashboard.Access.PeopleAdmin>();

    /// <summary>Creates a person with the role through the app's own account service.</summary>
    public async Task<(string UserName, string Password)> CreatePersonAsync(string role)
    {
        var userName = $"{role}-{Guid.NewGuid():N}"[..(role.Length + 13)];
        const string password = "Person-Pass-42";
        var errors = await People.CreateAsync(userName, role, password);
        Assert.Empty(errors);
        return (userName, password);
    }

    /// <summary>
    /// A fresh context and page on the app, recording console errors and uncaught page errors;
    /// signed in as the first admin unless <paramref name="signedIn"/> is false.
    /// </summary>
    public async Task<PageSession> OpenAsync(ColorScheme colorScheme = ColorScheme.Light, bool signedIn = true)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = ServerAddress.ToString(),
            ColorScheme = colorScheme,
            IgnoreHTTPSErrors = true, // the fixture's own certificate
            StorageState = signedIn ? _adminState ?? throw new InvalidOperationException("not signed in yet") : null,
        });
        context.SetDefaultTimeout(TimeoutMs);
        context.SetDefaultNavigationTimeout(TimeoutMs);
        return new PageSession(context, await context.NewPageAsync());
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        await _app.DisposeAsync();
        await _factory.DisposeAsync();
        _certificate.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser";
}
