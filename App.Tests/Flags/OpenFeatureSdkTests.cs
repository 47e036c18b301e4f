using System.Text.Json;
using Dashboard.Flags;
using Dashboard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Flags;

/// <summary>
/// The OpenFeature JavaScript server SDK with its OFREP provider (versions pinned in
/// <c>Flags/OpenFeature/package.json</c> and its lock file), unchanged and configured only with the
/// server's address and a client key, evaluates flags on the real Kestrel server.
/// </summary>
public sealed class OpenFeatureSdkTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new(kestrel: true);

    public async Task InitializeAsync()
    {
        var admin = _factory.Services.GetRequiredService<FlagAdmin>();
        await admin.SaveAsync(new FlagState("sdk_on", "", "", true, 100, [], []), "test");
        await admin.SaveAsync(new FlagState("sdk_off", "", "", false, 100, [], []), "test");
        await admin.SaveAsync(new FlagState("sdk_split", "", "", true, 100, [new FlagRule("plan", "equals", ["team"], true, "treatment")],
            [new FlagVariant("control", 50), new FlagVariant("treatment", 50)]), "test");
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static readonly NodePackage Package = NodePackage.InRepository("App.Tests", "Flags", "OpenFeature");

    [Fact]
    public async Task OfrepProvider_Unchanged_EvaluatesValuesVariantsReasonsAndErrors()
    {
        await Package.EnsureInstalledAsync();
        var split = FlagEvaluator.Evaluate(new CompiledFlag(new FlagState("sdk_split", "", "", true, 100, [],
            [new FlagVariant("control", 50), new FlagVariant("treatment", 50)])), new EvaluationContext("sdk-user")).Variant;
        var requests = JsonSerializer.Serialize(new object[]
        {
            new { flag = "sdk_on", type = "boolean", @default = false, user = "sdk-user" },
            new { flag = "sdk_off", type = "boolean", @default = true, user = "sdk-user" },
            new { flag = "sdk_split", type = "string", @default = "none", user = "sdk-user" },
            new { flag = "sdk_split", type = "string", @default = "none", user = "sdk-user", attributes = new { plan = "team" } },
            new { flag = "no_such_flag", type = "boolean", @default = true, user = "sdk-user" },
        });

        var (exit, output, error) = await Package.RunAsync("node", "check.mjs", _factory.ServerAddress.ToString().TrimEnd('/'), DashboardFactory.ClientKey, requests);

        Assert.True(exit == 0, $"node failed: {output}{error}");
        var results = JsonDocument.Parse(output).RootElement.EnumerateArray()
            .Select(r => (Value: r.GetProperty("value").ToString(), Variant: r.GetProperty("variant").ToString(),
                Reason: r.GetProperty("reason").ToString(), Error: r.GetProperty("errorCode").ToString()))
            .ToList();
        Assert.Equal(("True", "on", "SPLIT", ""), results[0]);
        Assert.Equal(("False", "off", "DISABLED", ""), results[1]);
        Assert.Equal((split!, split!, "SPLIT", ""), results[2]);
        Assert.Equal(("treatment", "treatment", "TARGETING_MATCH", ""), results[3]);
        Assert.Equal(("True", "", "ERROR", "FLAG_NOT_FOUND"), results[4]);
    }
}
