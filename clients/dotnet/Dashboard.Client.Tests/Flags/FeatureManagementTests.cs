using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using Dashboard.Client.Tests.TestSupport;
using Dashboard.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Razor.TagHelpers;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.FeatureManagement;
using Microsoft.FeatureManagement.Mvc;
using Microsoft.FeatureManagement.Mvc.TagHelpers;

namespace Dashboard.Client.Tests.Flags;

/// <summary>
/// A small ASP.NET Core app that uses the client's feature management against the real dashboard.
/// The user is the X-User header (as a NameIdentifier claim) and the X-Cohort header an attribute.
/// </summary>
public sealed class FeatureManagementTests(ServerFixture server) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private const string Flag = "new_onboarding_flow";
    private WebApplication _app = null!;
    private RecordingProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        _proxy = await RecordingProxy.StartAsync(server.Address);
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddDashboardFeatureManagement(o =>
        {
            o.Endpoint = _proxy.Address;
            o.ClientKey = DashboardFactory.ClientKey;
            o.RefreshInterval = TimeSpan.FromMilliseconds(100);
            o.Attributes = http => http.Request.Headers["X-Cohort"] is [{ } cohort] ? new Dictionary<string, string> { ["cohort"] = cohort } : null;
        });
        builder.Services.AddControllers().AddApplicationPart(typeof(OnboardingController).Assembly);
        _app = builder.Build();
        _app.Use((http, next) =>
        {
            if (http.Request.Headers["X-User"] is [{ } user])
                http.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user)], "header"));
            return next(http);
        });
        _app.MapControllers();
        _app.MapGet("/variant", async (IVariantFeatureManager features, CancellationToken ct) =>
            (await features.GetVariantAsync(Flag, ct))?.Name ?? "(none)");
        _app.MapGet("/tag-helper", async (HttpContext http) =>
        {
            var helper = ActivatorUtilities.CreateInstance<FeatureTagHelper>(http.RequestServices);
            helper.Name = Flag;
            var output = new TagHelperOutput("feature", [], (_, _) => Task.FromResult<TagHelperContent>(new DefaultTagHelperContent()));
            output.Content.SetContent("new onboarding");
            await helper.ProcessAsync(new TagHelperContext([], new Dictionary<object, object>(), "id"), output);
            return output.IsContentModified && output.Content.IsEmptyOrWhiteSpace ? "(hidden)" : output.Content.GetContent();
        });
        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _proxy.DisposeAsync();
    }

    [Fact]
    public async Task FeatureGate_FlagOffThenOn_Answers404Then200()
    {
        await PutFlagAsync(enabled: false);
        using var client = Client("gate-user");

        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(client, "/onboarding", HttpStatusCode.NotFound));

        await PutFlagAsync(enabled: true);

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, "/onboarding", HttpStatusCode.OK));
        Assert.Equal("the new onboarding flow", await client.GetStringAsync("/onboarding"));
    }

    [Fact]
    public async Task GetVariant_ServesTheServersVariantForTheUser()
    {
        await PutFlagAsync(enabled: true, variants: true);
        using var beta = Client("variant-user", cohort: "beta");
        using var bucketed = Client("user-00001"); // variant bucket 4429 of 10000: the first of 50/50 (README's test vectors)

        Assert.Equal("new_flow", await Eventually.ReadAsync(() => beta.GetStringAsync("/variant"), v => v == "new_flow"));
        Assert.Equal("control", await Eventually.ReadAsync(() => bucketed.GetStringAsync("/variant"), v => v == "control"));

        await PutFlagAsync(enabled: false, variants: true);

        Assert.Equal("off", await Eventually.ReadAsync(() => beta.GetStringAsync("/variant"), v => v == "off"));
    }

    [Fact]
    public async Task FeatureTagHelper_ShowsItsContentOnlyWhenTheFlagIsOn()
    {
        await PutFlagAsync(enabled: false);
        using var client = Client("tag-user");

        Assert.Equal("(hidden)", await Eventually.ReadAsync(() => client.GetStringAsync("/tag-helper"), v => v == "(hidden)"));

        await PutFlagAsync(enabled: true);

        Assert.Equal("new onboarding", await Eventually.ReadAsync(() => client.GetStringAsync("/tag-helper"), v => v == "new onboarding"));
    }

    [Fact]
    public async Task Refresh_UnchangedFlags_AreRevalidatedWithTheETag()
    {
        await PutFlagAsync(enabled: true);
        using var client = Client("etag-user");
        await Eventually.ReadAsync(() => StatusOfAsync(client, "/onboarding"), s => s == HttpStatusCode.OK);

        await Task.Delay(250); // past the refresh interval
        await client.GetAsync("/onboarding");

        var evaluations = _proxy.Requests.Where(r => r.Path == "/ofrep/v1/evaluate/flags" && r.Body.Contains("etag-user")).ToList();
        Assert.Equal(304, evaluations[^1].Status);
    }

    private HttpClient Client(string user, string? cohort = null)
    {
        var client = _app.GetTestClient();
        client.DefaultRequestHeaders.Add("X-User", user);
        if (cohort is not null) client.DefaultRequestHeaders.Add("X-Cohort", cohort);
        return client;
    }

    private static async Task<HttpStatusCode> StatusOfAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return response.StatusCode;
    }

    /// <summary>The status once it is the expected one (a flag change reaches the app within the server's second and the refresh interval), or the last one seen.</summary>
    private static Task<HttpStatusCode> StatusAsync(HttpClient client, string path, HttpStatusCode expected) =>
        Eventually.ReadAsync(() => StatusOfAsync(client, path), s => s == expected);

    private async Task PutFlagAsync(bool enabled, bool variants = false)
    {
        using var admin = server.AdminClient();
        object body = variants
            ? new
            {
                description = "client test", owner = "tests", enabled, rolloutPercent = 100,
                rules = new[] { new { attribute = "cohort", @operator = "equals", values = new[] { "beta" }, value = true, variant = "new_flow" } },
                variants = new[] { new { key = "control", weight = 50 }, new { key = "new_flow", weight = 50 } },
            }
            : new { description = "client test", owner = "tests", enabled, rolloutPercent = 100, rules = Array.Empty<object>(), variants = Array.Empty<object>() };
        using var response = await admin.PutAsJsonAsync($"/api/flags/{Flag}", body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }
}

[FeatureGate("new_onboarding_flow")]
public sealed class OnboardingController : ControllerBase
{
    [HttpGet("/onboarding")]
    public string Get() => "the new onboarding flow";
}
