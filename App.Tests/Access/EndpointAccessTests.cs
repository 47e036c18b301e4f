using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Dashboard.Access;
using Dashboard.Tests.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticAssets;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Access;

/// <summary>Who asks: nobody, a key of each kind (or a made-up one), or a signed-in person.</summary>
public enum Caller { Anonymous, WrongKey, WriteKey, ClientKey, ReadKey, AdminKey, Viewer, Admin }

/// <summary>One application and one client per caller for the whole table.</summary>
public sealed class EndpointAccessFixture : IAsyncLifetime
{
    public DashboardFactory Factory { get; } = new();

    public Dictionary<Caller, HttpClient> Clients { get; } = [];

    public async Task InitializeAsync()
    {
        foreach (var caller in Enum.GetValues<Caller>())
        {
            Clients[caller] = caller switch
            {
                Caller.Viewer => await Factory.CreateSessionClientAsync(AccountRoles.Viewer),
                Caller.Admin => await Factory.CreateSessionClientAsync(AccountRoles.Admin),
                _ => Factory.CreateBrowserLikeClient(),
            };
            var key = caller switch
            {
                Caller.WrongKey => "wk_this_key_does_not_exist",
                Caller.WriteKey => DashboardFactory.WriteKey,
                Caller.ClientKey => DashboardFactory.ClientKey,
                Caller.ReadKey => DashboardFactory.ReadKey,
                Caller.AdminKey => DashboardFactory.AdminKey,
                _ => null,
            };
            if (key is not null) Clients[caller].DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var c in Clients.Values) c.Dispose();
        await Factory.DisposeAsync();
    }
}

/// <summary>
/// Every endpoint the application maps, against every kind of caller. The table is checked
/// against the app's <see cref="EndpointDataSource"/>: a new endpoint without a row fails
/// <see cref="Table_CoversEveryMappedEndpoint"/>, so nothing can open by accident.
/// </summary>
public sealed class EndpointAccessTests(EndpointAccessFixture fixture) : IClassFixture<EndpointAccessFixture>
{
    /// <summary>302 to the sign-in page.</summary>
    private const int Login = 302;

    private sealed record Row(string Endpoint, string Method, string Path, int[] Expected, string? Body = null);

    //                                     anon wrong write client read adminKey viewer admin
    private static readonly int[] PageForViewers = [Login, Login, Login, Login, Login, Login, 200, 200];
    private static readonly int[] PageForAdmins = [Login, Login, Login, Login, Login, Login, 403, 200];
    private static readonly int[] Everyone = [200, 200, 200, 200, 200, 200, 200, 200];
    private static readonly int[] ReadApi = [401, 401, 403, 403, 200, 200, 200, 200];
    private static readonly int[] IngestApi = [401, 401, 200, 401, 401, 401, 401, 401];
    private static readonly int[] FlagEvaluation = [401, 401, 403, 200, 403, 403, 401, 401];
    private static readonly int[] AdminKeyOnly = AdminKey(200);
    /// <summary>A CORS preflight without an Origin: answered for anyone, never redirected to the sign-in page.</summary>
    private static readonly int[] Preflight = [204, 204, 204, 204, 204, 204, 204, 204];
    /// <summary>API writes: an admin key only (people change state on the pages); the body or key named in the row decides the admin key's answer.</summary>
    private static int[] AdminKey(int admin) => [401, 401, 403, 403, 403, admin, 401, 401];

    private const string Event = """{ "event": "APP_OPENED", "userId": "access-table" }""";
    private const string Evaluation = """{ "context": { "targetingKey": "access-table" } }""";
    // The seeded flag's own state: saving it changes nothing, whichever caller gets through.
    private const string SeededFlag = """
        { "description": "The new onboarding flow: always on for the beta cohort; 10% of everyone else are in the experiment, half on the old flow (control), half on the new one (new_flow).", "owner": "growth",
          "enabled": true, "rolloutPercent": 10,
          "rules": [ { "attribute": "cohort", "operator": "equals", "values": ["beta"], "value": true, "variant": "new_flow" } ],
          "variants": [ { "key": "control", "weight": 50 }, { "key": "new_flow", "weight": 50 } ] }
        """;

    private static readonly Row[] Table =
    [
        // Pages (Blazor): a signed-in viewer, or an admin for the admin pages.
        new("GET,POST /", "GET", "/", PageForViewers),
        new("GET,POST /overview", "GET", "/overview", PageForViewers),
        new("GET,POST /activity", "GET", "/activity", PageForViewers),
        new("GET,POST /activation", "GET", "/activation", PageForViewers),
        new("GET,POST /funnels", "GET", "/funnels", PageForViewers),
        new("GET,POST /trends", "GET", "/trends", PageForViewers),
        new("GET,POST /features", "GET", "/features", PageForViewers),
        new("GET,POST /retention", "GET", "/retention", PageForViewers),
        new("GET,POST /events", "GET", "/events", PageForViewers),
        new("GET,POST /events/{Name}", "GET", "/events/USER_REGISTERED", PageForViewers),
        new("GET,POST /events/new", "GET", "/events/new", PageForAdmins),
        new("GET,POST /quarantine", "GET", "/quarantine", PageForViewers),
        new("GET,POST /experiments", "GET", "/experiments", PageForViewers),
        new("GET,POST /experiments/{Key}", "GET", "/experiments/new-onboarding-flow", PageForViewers),
        new("GET,POST /experiments/new", "GET", "/experiments/new", PageForAdmins),
        new("GET,POST /experiments/{Key}/edit", "GET", "/experiments/new-onboarding-flow/edit", PageForAdmins),
        new("GET,POST /people", "GET", "/people", PageForViewers),
        new("GET,POST /people/{Id}", "GET", "/people/nobody-with-this-id", PageForViewers),
        new("GET,POST /admin/people", "GET", "/admin/people", PageForAdmins),
        new("GET,POST /admin/keys", "GET", "/admin/keys", PageForAdmins),
        new("GET,POST /admin/digest", "GET", "/admin/digest", PageForAdmins),
        new("GET,POST /flags", "GET", "/flags", PageForAdmins),
        new("GET,POST /flags/new", "GET", "/flags/new", PageForAdmins),
        new("GET,POST /flags/{Key}", "GET", "/flags/new_onboarding_flow", PageForAdmins),
        new("GET,POST /annotations", "GET", "/annotations", PageForViewers),
        new("GET,POST /funnels/people", "GET", "/funnels/people?steps=USER_REGISTERED,PROJECT_CREATED&from=2026-11-02&to=2026-11-08&step=2", PageForViewers),
        new("GET,POST /account/password", "GET", "/account/password", PageForViewers),
        new("GET,POST /not-found", "GET", "/not-found", PageForViewers),
        new("GET,POST /status/{Code:int}", "GET", "/status/404", PageForViewers),
        // Open to everyone: the sign-in page, the error page, the health check.
        new("GET,POST /account/login", "GET", "/account/login", Everyone),
        new("GET,POST /error", "GET", "/error", Everyone),
        new("* /healthz", "GET", "/healthz", Everyone),
        new("GET /readyz", "GET", "/readyz", ReadApi),
        new("* /metrics", "GET", "/metrics", ReadApi),
        // A form post without its antiforgery token is refused (400, a JSON error) once the caller may post at all.
        new("POST /account/logout", "POST", "/account/logout", [Login, Login, Login, Login, Login, Login, 400, 400], ""),
        // Read API: a read or admin key, or a session.
        new("GET /api/schema/telemetry.ts", "GET", "/api/schema/telemetry.ts", ReadApi),
        new("GET /api/schema/telemetry.cs", "GET", "/api/schema/telemetry.cs", ReadApi),
        new("GET /openapi/{documentName}.json", "GET", "/openapi/v1.json", ReadApi),
        new("GET /api/insights/activity", "GET", "/api/insights/activity?from=2026-11-02&to=2026-11-08", ReadApi),
        new("GET /api/insights/activation", "GET", "/api/insights/activation?from=2026-11-02&to=2026-11-08", ReadApi),
        new("GET /api/insights/funnel", "GET", "/api/insights/funnel?steps=USER_REGISTERED,PROJECT_CREATED&from=2026-11-02&to=2026-11-08", ReadApi),
        new("GET /api/insights/features", "GET", "/api/insights/features?from=2026-11-02&to=2026-11-08", ReadApi),
        new("GET /api/insights/retention", "GET", "/api/insights/retention?from=2026-11-02&to=2026-11-08", ReadApi),
        new("GET /api/insights/trends", "GET", "/api/insights/trends?event=FEATURE_ENGAGED&from=2026-11-02&to=2026-11-08", ReadApi),
        new("GET /api/insights/funnels/people", "GET", "/api/insights/funnels/people?steps=USER_REGISTERED,PROJECT_CREATED&from=2026-11-02&to=2026-11-08&step=2", ReadApi),
        new("GET /api/annotations", "GET", "/api/annotations?from=2026-11-02&to=2026-11-08", ReadApi),
        // Notes by programs: an admin key only (people add notes on the annotations page); an empty object is a 400, an unknown id a 404.
        new("POST /api/annotations", "POST", "/api/annotations", AdminKey(400), "{}"),
        new("DELETE /api/annotations/{id}", "DELETE", "/api/annotations/999999", AdminKey(404)),
        new("GET /api/people/{id}", "GET", "/api/people/nobody-with-this-id", [401, 401, 403, 403, 404, 404, 404, 404]),
        new("GET /api/people/", "GET", "/api/people?search=nobody", ReadApi),
        new("GET /api/people/{id}/events", "GET", "/api/people/nobody-with-this-id/events", [401, 401, 403, 403, 404, 404, 404, 404]),
        new("GET /api/flags", "GET", "/api/flags", ReadApi),
        new("GET /api/flags/{key}", "GET", "/api/flags/new_onboarding_flow", ReadApi),
        new("GET /api/flags/{key}/audit", "GET", "/api/flags/new_onboarding_flow/audit", ReadApi),
        // Flag changes by programs: an admin key only (people change flags on the page).
        new("PUT /api/flags/{key}", "PUT", "/api/flags/new_onboarding_flow", AdminKeyOnly, SeededFlag),
        // Flag evaluation (OFREP): a client key only.
        new("POST /ofrep/v1/evaluate/flags/{key}", "POST", "/ofrep/v1/evaluate/flags/new_onboarding_flow", FlagEvaluation, Evaluation),
        new("POST /ofrep/v1/evaluate/flags", "POST", "/ofrep/v1/evaluate/flags", FlagEvaluation, Evaluation),
        // Experiments: reads like the read API, writes with an admin key (an empty body is a 400; an unknown key a 404).
        new("GET /api/experiments/", "GET", "/api/experiments", ReadApi),
        new("GET /api/experiments/{key}", "GET", "/api/experiments/new-onboarding-flow", ReadApi),
        new("GET /api/experiments/{key}/results", "GET", "/api/experiments/new-onboarding-flow/results", ReadApi),
        new("POST /api/experiments/", "POST", "/api/experiments", AdminKey(400), "{}"),
        new("PUT /api/experiments/{key}", "PUT", "/api/experiments/no-such-experiment", AdminKey(404), "{}"),
        new("POST /api/experiments/{key}/start", "POST", "/api/experiments/no-such-experiment/start", AdminKey(404), "{}"),
        new("POST /api/experiments/{key}/stop", "POST", "/api/experiments/no-such-experiment/stop", AdminKey(404), "{}"),
        // Cohorts: reads like the read API, writes with an admin key (an empty body is a 400; an unknown key a 404).
        new("GET /api/cohorts/", "GET", "/api/cohorts", ReadApi),
        new("GET /api/cohorts/{key}", "GET", "/api/cohorts/no-such-cohort", [401, 401, 403, 403, 404, 404, 404, 404]),
        new("POST /api/cohorts/", "POST", "/api/cohorts", AdminKey(400), "{}"),
        new("PUT /api/cohorts/{key}", "PUT", "/api/cohorts/no-such-cohort", AdminKey(404), "{}"),
        new("DELETE /api/cohorts/{key}", "DELETE", "/api/cohorts/no-such-cohort", AdminKey(404)),
        // Ingest: a write key only; sessions and other keys are refused with the endpoint's own 401.
        new("POST /ingest", "POST", "/ingest", IngestApi, Event),
        new("POST /v1/batch", "POST", "/v1/batch", IngestApi, Event),
        new("POST /v1/track", "POST", "/v1/track", IngestApi, Event),
        new("POST /v1/b", "POST", "/v1/b", IngestApi, Event),
        new("POST /v1/import", "POST", "/v1/import", IngestApi, Event),
        new("POST /v1/t", "POST", "/v1/t", IngestApi, Event),
        new("POST /v1/identify", "POST", "/v1/identify", IngestApi, Event),
        new("POST /v1/i", "POST", "/v1/i", IngestApi, Event),
        new("POST /v1/page", "POST", "/v1/page", IngestApi, Event),
        new("POST /v1/p", "POST", "/v1/p", IngestApi, Event),
        new("POST /v1/screen", "POST", "/v1/screen", IngestApi, Event),
        new("POST /v1/s", "POST", "/v1/s", IngestApi, Event),
        new("POST /v1/group", "POST", "/v1/group", IngestApi, Event),
        new("POST /v1/g", "POST", "/v1/g", IngestApi, Event),
        new("POST /v1/alias", "POST", "/v1/alias", IngestApi, Event),
        new("POST /v1/a", "POST", "/v1/a", IngestApi, Event),
        // analytics.js's settings: the write key is in the path, so every caller gets them.
        new("GET /v1/projects/{writeKey}/settings", "GET", "/v1/projects/wk_test_write_key/settings", Everyone),
        // CORS preflights of the ingest and OFREP paths: anonymous (a preflight carries no key).
        new("OPTIONS /ingest", "OPTIONS", "/ingest", Preflight),
        new("OPTIONS /v1/batch", "OPTIONS", "/v1/batch", Preflight),
        new("OPTIONS /v1/track", "OPTIONS", "/v1/track", Preflight),
        new("OPTIONS /v1/b", "OPTIONS", "/v1/b", Preflight),
        new("OPTIONS /v1/import", "OPTIONS", "/v1/import", Preflight),
        new("OPTIONS /v1/t", "OPTIONS", "/v1/t", Preflight),
        new("OPTIONS /v1/identify", "OPTIONS", "/v1/identify", Preflight),
        new("OPTIONS /v1/i", "OPTIONS", "/v1/i", Preflight),
        new("OPTIONS /v1/page", "OPTIONS", "/v1/page", Preflight),
        new("OPTIONS /v1/p", "OPTIONS", "/v1/p", Preflight),
        new("OPTIONS /v1/screen", "OPTIONS", "/v1/screen", Preflight),
        new("OPTIONS /v1/s", "OPTIONS", "/v1/s", Preflight),
        new("OPTIONS /v1/group", "OPTIONS", "/v1/group", Preflight),
        new("OPTIONS /v1/g", "OPTIONS", "/v1/g", Preflight),
        new("OPTIONS /v1/alias", "OPTIONS", "/v1/alias", Preflight),
        new("OPTIONS /v1/a", "OPTIONS", "/v1/a", Preflight),
        new("OPTIONS /v1/projects/{writeKey}/settings", "OPTIONS", "/v1/projects/wk_test_write_key/settings", Preflight),
        new("OPTIONS /ofrep/v1/evaluate/flags/{key}", "OPTIONS", "/ofrep/v1/evaluate/flags/new_onboarding_flow", Preflight),
        new("OPTIONS /ofrep/v1/evaluate/flags", "OPTIONS", "/ofrep/v1/evaluate/flags", Preflight),
        // The circuit's hub: sessions only (without a circuit the hub itself answers 400 or 404).
        new("* /_blazor/negotiate", "POST", "/_blazor/negotiate?negotiateVersion=1", PageForViewers, ""),
        new("* /_blazor", "GET", "/_blazor", [Login, Login, Login, Login, Login, Login, 400, 400]),
        new("* /_blazor/initializers/", "GET", "/_blazor/initializers/", PageForViewers),
        new("* /_blazor/disconnect/", "POST", "/_blazor/disconnect/", [Login, Login, Login, Login, Login, Login, 400, 400], ""),
        new("GET /_framework/opaque-redirect", "GET", "/_framework/opaque-redirect", [Login, Login, Login, Login, Login, Login, 400, 400]),
        new("GET,HEAD /{**path:file}", "GET", "/no-such-file.css", [Login, Login, Login, Login, Login, Login, 404, 404]),
        // Jobs dashboard: admin sessions only.
        new("* /hangfire/{**path}", "GET", "/hangfire", PageForAdmins),
    ];

    public static TheoryData<string, Caller> Cases()
    {
        var data = new TheoryData<string, Caller>();
        foreach (var row in Table)
            foreach (var caller in Enum.GetValues<Caller>()) data.Add(row.Endpoint, caller);
        return data;
    }

    [Fact]
    public void Table_CoversEveryMappedEndpoint()
    {
        var mapped = MappedEndpoints();
        var table = Table.Select(r => r.Endpoint).ToHashSet();

        var missing = mapped.Except(table).Order().ToList();
        var stale = table.Except(mapped).Order().ToList();

        Assert.True(missing.Count == 0, "Endpoints without a row in the access table: " + string.Join(", ", missing));
        Assert.True(stale.Count == 0, "Rows for endpoints the app no longer maps: " + string.Join(", ", stale));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Request_Caller_GetsTheTablesStatus(string endpoint, Caller caller)
    {
        var row = Table.Single(r => r.Endpoint == endpoint);
        var expected = row.Expected[(int)caller];
        using var request = new HttpRequestMessage(new HttpMethod(row.Method), row.Path);
        if (row.Body is not null) request.Content = new StringContent(row.Body, Encoding.UTF8, row.Body.Length == 0 ? "application/x-www-form-urlencoded" : "application/json");

        using var response = await fixture.Clients[caller].SendAsync(request);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == (int)response.StatusCode,
            $"{row.Method} {row.Path} as {caller}: expected {expected}, got {(int)response.StatusCode} {response.Headers.Location} {body[..Math.Min(body.Length, 300)]}");
        if (expected == Login)
        {
            var location = response.Headers.Location!.ToString();
            Assert.Contains("/account/login?returnUrl=", location);
        }
    }

    [Fact]
    public async Task StaticAssets_Anonymous_AreServed()
    {
        var assets = fixture.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<StaticAssetDescriptor>() is not null)
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/'))
            .ToList();
        var paths = new[] { "/app.css", "/_framework/blazor.web.js", "/_content/MudBlazor/MudBlazor.min.css", "/_content/MudBlazor/MudBlazor.min.js" };
        Assert.All(paths, p => Assert.Contains(p, assets));
        // Framework and library files come from the static web assets manifest, which only a host that loads it serves.
        await using var factory = new DashboardFactory();
        using var app = factory.WithWebHostBuilder(b => b.UseStaticWebAssets());
        using var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        foreach (var path in paths)
        {
            using var response = await client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}");
        }
    }

    [Theory]
    [InlineData("/favicon.ico", "image/x-icon")]
    [InlineData("/favicon.svg", "image/svg+xml")]
    public async Task Favicon_Anonymous_IsAnImage(string path, string contentType)
    {
        using var client = fixture.Factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = fixture.Factory.ClientOptions.BaseAddress, AllowAutoRedirect = false });
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
        Assert.NotEmpty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Pages_Head_LinkTheFavicon()
    {
        using var client = fixture.Factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = fixture.Factory.ClientOptions.BaseAddress, AllowAutoRedirect = false });
        var html = await client.GetStringAsync("/account/login");
        var link = System.Text.RegularExpressions.Regex.Match(html, "<link rel=\"icon\"[^>]*href=\"([^\"]+)\"");
        Assert.True(link.Success, "no <link rel=\"icon\"> in the page's head");
        using var icon = await client.GetAsync("/" + link.Groups[1].Value.TrimStart('/'));
        Assert.Equal(HttpStatusCode.OK, icon.StatusCode);
        Assert.StartsWith("image/", icon.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>"METHODS pattern" of every routed endpoint except static files (checked above).</summary>
    private HashSet<string> MappedEndpoints() =>
        fixture.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<StaticAssetDescriptor>() is null)
            .Select(e =>
            {
                var methods = e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [];
                return $"{(methods.Count == 0 ? "*" : string.Join(",", methods.Order()))} /{e.RoutePattern.RawText!.TrimStart('/')}";
            })
            .ToHashSet();
}
