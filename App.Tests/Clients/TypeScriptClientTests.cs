using Dashboard.Tests.TestSupport;

namespace Dashboard.Tests.Clients;

/// <summary>
/// The TypeScript client in <c>clients/typescript</c>, built with tsc from its lock file, against
/// real servers on Kestrel: node's test runner drives the built package (batching, Retry-After,
/// a reload through storage, identity merging, flags with ETag), and a compile check proves the
/// types generated from the served taxonomy refuse unknown events and wrong properties.
/// </summary>
public sealed class TypeScriptClientTests : IAsyncLifetime
{
    private readonly DashboardFactory _server = new(kestrel: true);
    // One ingest request per second per key, so the client meets a 429 with Retry-After.
    private readonly DashboardFactory _limited = new(new Dictionary<string, string?>
    {
        ["RateLimits:IngestPerSecond"] = "1",
        ["RateLimits:IngestBurst"] = "1",
    }, kestrel: true);

    private static readonly NodePackage Package = NodePackage.InRepository("clients", "typescript");
    private static string Folder => Package.Folder;

    public async Task InitializeAsync()
    {
        await Package.EnsureInstalledAsync();
        var (exit, output, error) = await Package.RunAsync("npm", "run", "build");
        Assert.True(exit == 0, $"tsc failed: {output}{error}");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _limited.DisposeAsync();
    }

    private static string Address(DashboardFactory f) => f.ServerAddress.ToString().TrimEnd('/');

    [Fact]
    public async Task NodeTests_AgainstTheRealServer_Pass()
    {
        var (exit, output, error) = await Package.RunAsync("node", ["--test", "--test-reporter=spec", "test/"], new Dictionary<string, string>
        {
            ["DASHBOARD_URL"] = Address(_server),
            ["DASHBOARD_LIMITED_URL"] = Address(_limited),
            ["DASHBOARD_WRITE_KEY"] = DashboardFactory.WriteKey,
            ["DASHBOARD_CLIENT_KEY"] = DashboardFactory.ClientKey,
            ["DASHBOARD_READ_KEY"] = DashboardFactory.ReadKey,
            ["DASHBOARD_ADMIN_KEY"] = DashboardFactory.AdminKey,
        }, TimeSpan.FromMinutes(2));
        Assert.True(exit == 0, $"node --test failed:\n{output}\n{error}");
        Assert.Contains("pass 7", output);
        Assert.Contains("fail 0", output);
    }

    [Fact]
    public async Task GeneratedTypes_RefuseUnknownEventsAndWrongProperties()
    {
        var (exit, output, error) = await Package.RunAsync("node",
            "bin/fetch-schema.mjs", "--host", Address(_server), "--key", DashboardFactory.ReadKey, "--out", "test/generated/telemetry.ts");
        Assert.True(exit == 0, $"dashboard-schema failed: {output}{error}");
        Assert.Contains("USER_REGISTERED", await File.ReadAllTextAsync(Path.Combine(Folder, "test", "generated", "telemetry.ts")));

        // Every @ts-expect-error line must be an error: tsc fails if one of them compiles.
        (exit, output, error) = await Package.RunAsync("npm", "run", "typecheck:tests");
        Assert.True(exit == 0, $"the typed calls did not check as expected:\n{output}{error}");

        // And the check bites: without the markers the same file has exactly those four errors.
        var check = Path.Combine(Folder, "test", "types", "check.ts");
        var unmarked = Path.Combine(Folder, "test", "types", "unmarked.ts");
        await File.WriteAllTextAsync(unmarked, (await File.ReadAllTextAsync(check)).Replace("// @ts-expect-error", "//"));
        try
        {
            (exit, output, error) = await Package.RunAsync("npm", "run", "typecheck:tests");
            Assert.NotEqual(0, exit);
            Assert.Equal(4, output.Split('\n').Count(l => l.Contains("unmarked.ts(") && l.Contains("error TS")));
        }
        finally
        {
            File.Delete(unmarked);
        }
    }
}
