using System.Net;
using Dashboard.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Dashboard.Tests.Browser;

/// <summary>
/// A web app on an origin of its own: a second Kestrel server on another port of 127.0.0.1 serving
/// one page that loads the bundle of <c>clients/web-test</c> (analytics.js and the OpenFeature web
/// SDK, pinned by its lock file). The packages are installed with <c>npm ci</c> when node_modules is
/// missing and the bundle is built with esbuild when it is older than its sources, so a plain
/// <c>dotnet test</c> on a fresh clone does all set-up.
/// </summary>
public sealed class WebClientPage : IAsyncLifetime
{
    public const string BundleName = "web-test.js";

    private const string Html = $"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>A web app</title><link rel="icon" href="data:,"></head>
        <body><h1>A web app</h1><script src="/{BundleName}"></script></body></html>
        """;

    private static readonly NodePackage Package = NodePackage.InRepository("clients", "web-test");
    private static readonly NodePackage Client = NodePackage.InRepository("clients", "typescript");

    /// <summary>A page that loads this repository's TypeScript client (its tsc build) as <c>window.DashboardClient</c>.</summary>
    public const string ClientPage = "/ts.html";

    private const string ClientHtml = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>A web app with the TypeScript client</title><link rel="icon" href="data:,"></head>
        <body><h1>A web app</h1>
        <script type="module">import { Dashboard } from "/ts/index.js"; window.DashboardClient = Dashboard;</script></body></html>
        """;

    private WebApplication? _app;

    /// <summary>The page's origin, <c>http://127.0.0.1:PORT</c>, as a browser sends it in <c>Origin</c>.</summary>
    public string Origin { get; private set; } = "";

    public async Task InitializeAsync()
    {
        // When the tests are skipped (outside CI, without a browser or Node) nothing is needed here.
        if (WebClientFactAttribute.SkipReason is not null) return;
        var bundle = await BuildAsync();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.MapGet("/", () => Results.Content(Html, "text/html; charset=utf-8"));
        _app.MapGet("/" + BundleName, () => Results.File(bundle, "text/javascript; charset=utf-8"));
        var client = await BuildClientAsync();
        _app.MapGet(ClientPage, () => Results.Content(ClientHtml, "text/html; charset=utf-8"));
        _app.MapGet("/ts/index.js", () => Results.File(client, "text/javascript; charset=utf-8"));
        await _app.StartAsync();
        Origin = _app.Urls.First().TrimEnd('/');
    }

    /// <summary>Installs the packages and bundles the page's script; returns the bundle's path.</summary>
    private static async Task<string> BuildAsync()
    {
        await Package.EnsureInstalledAsync();
        var bundle = Path.Combine(Package.Folder, "dist", BundleName);
        var inputs = Directory.EnumerateFiles(Path.Combine(Package.Folder, "src"), "*", SearchOption.AllDirectories)
            .Append(Path.Combine(Package.Folder, "package.json"))
            .Append(Path.Combine(Package.Folder, "node_modules", ".package-lock.json"));
        if (!File.Exists(bundle) || inputs.Any(f => File.GetLastWriteTimeUtc(f) > File.GetLastWriteTimeUtc(bundle)))
        {
            var (exit, output, error) = await Package.RunAsync("npm", "run", "build");
            if (exit != 0) throw new InvalidOperationException($"the bundle did not build: {output}{error}");
        }
        return bundle;
    }

    /// <summary>Installs the TypeScript client's compiler from its lock file and builds it; returns the module's path.</summary>
    private static async Task<string> BuildClientAsync()
    {
        await Client.EnsureInstalledAsync();
        var (exit, output, error) = await Client.RunAsync("npm", "run", "build");
        if (exit != 0) throw new InvalidOperationException($"the TypeScript client did not build: {output}{error}");
        return Path.Combine(Client.Folder, "dist", "index.js");
    }

    public async Task DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}
