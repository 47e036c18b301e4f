using System.Text.Json;
using Dashboard.Access;
using Dashboard.Data;
using Dashboard.Flags;
using Dashboard.Schema;
using Dashboard.Tests.Ingest;
using Dashboard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Dashboard.Tests.Browser;

/// <summary>
/// A web app on another origin uses the dashboard from Chromium with the unchanged JavaScript
/// clients: Segment's analytics.js (only its cdnURL pointed at the dashboard) sends a visitor's
/// events, and the OpenFeature web SDK with the OFREP provider evaluates a flag, each with a key
/// that lists the page's origin; a key that does not list it is refused.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class WebFrontEndTests(BrowserFixture browser, WebClientPage web) : IClassFixture<WebClientPage>
{
    private string Server => browser.ServerAddress.ToString().TrimEnd('/');

    private sealed record Sent(string Type, string? Event, string MessageId);

    private sealed record Journey(string AnonymousId, List<Sent> Sent);

    private async Task<string> CreateKeyAsync(string role, string origins) =>
        await browser.Services.GetRequiredService<ApiKeyStore>().CreateAsync($"web {role} {Guid.NewGuid():N}", role, origins);

    /// <summary>Two events of their own in the taxonomy, so the test's counts are its own among the demo data.</summary>
    private async Task<(string Anonymous, string Identified)> DefineStepsAsync()
    {
        var suffix = Guid.NewGuid().ToString("N")[..10].ToUpperInvariant();
        var editor = browser.Services.GetRequiredService<TaxonomyEditor>();
        var steps = ($"WEB_VISIT_{suffix}", $"WEB_SIGNUP_{suffix}");
        foreach (var name in new[] { steps.Item1, steps.Item2 })
            Assert.Empty(await editor.SaveAsync(new EventDefinition { Name = name, Description = "a web journey's step" }));
        return steps;
    }

    /// <summary>Opens the web app's page (a context of its own, not signed in to the dashboard).</summary>
    private async Task<PageSession> OpenPageAsync()
    {
        var session = await browser.OpenAsync(signedIn: false);
        await session.GotoAsync(web.Origin + "/");
        await session.Page.WaitForFunctionAsync("() => window.dashboardWebTest !== undefined");
        return session;
    }

    private async Task<(Journey Journey, string UserId, string Anonymous, string Identified)> RunJourneyAsync()
    {
        var writeKey = await CreateKeyAsync(ApiRoles.Write, web.Origin);
        var (anonymous, identified) = await DefineStepsAsync();
        var userId = "web-user-" + Guid.NewGuid().ToString("N")[..12];
        await using var session = await OpenPageAsync();

        var result = await session.Page.EvaluateAsync<JsonElement>("args => window.dashboardWebTest.journey(args)",
            new { server = Server, writeKey, userId, anonymousStep = anonymous, identifiedStep = identified });

        Assert.Empty(session.Errors);
        var journey = result.Deserialize<Journey>(JsonSerializerOptions.Web)!;
        return (journey, userId, anonymous, identified);
    }

    private async Task<List<StoredEvent>> StoredAsync(IEnumerable<string> messageIds, int count)
    {
        var ids = string.Join(",", messageIds.Select((_, i) => "$m" + i));
        var args = messageIds.Select((m, i) => ("$m" + i, (object)m)).ToArray();
        return await Eventually.ReadAsync(() => Task.FromResult(IngestTestKit.EventsWhere(browser.DatabasePath, $"e.MessageId IN ({ids})", args)),
            rows => rows.Count >= count);
    }

    [WebClientFact]
    public async Task AnalyticsJs_FromAnotherOrigin_StoresTheVisitorsEventsWithTheirIdentity()
    {
        var (journey, userId, anonymous, identified) = await RunJourneyAsync();

        Assert.Equal(["track", "identify", "track", "page"], journey.Sent.Select(s => s.Type));
        var events = (await StoredAsync(journey.Sent.Where(s => s.Type != "identify").Select(s => s.MessageId), 3))
            .ToDictionary(e => e.MessageId);
        Assert.Equal(3, events.Count);
        // The identify carried the anonymous id, so the anonymous track is the user's now, and the
        // anonymous id is one of the user's merged ids.
        var first = events[journey.Sent[0].MessageId];
        Assert.Equal((anonymous, userId), (first.Name, first.UserKey));
        using (var reader = browser.CreateHttpClient(DashboardFactory.ReadKey))
        using (var person = JsonDocument.Parse(await reader.GetStringAsync($"/api/people/{journey.AnonymousId}")))
        {
            Assert.Equal(userId, person.RootElement.GetProperty("id").GetString());
            Assert.Equal([journey.AnonymousId], person.RootElement.GetProperty("mergedIds").EnumerateArray().Select(e => e.GetString()));
        }
        var second = events[journey.Sent[2].MessageId];
        Assert.Equal((identified, userId), (second.Name, second.UserKey));
        var page = events[journey.Sent[3].MessageId];
        Assert.Equal(("PAGE", userId), (page.Name, page.UserKey));
        Assert.Equal("/", JsonDocument.Parse(page.Properties).RootElement.GetProperty("path").GetString());
        var traits = await Eventually.ReadAsync(() => Task.FromResult(IngestTestKit.UserTraits(browser.DatabasePath, userId)), t => t is not null);
        Assert.Equal("team", JsonDocument.Parse(traits!).RootElement.GetProperty("plan").GetString());
    }

    /// <summary>
    /// The anonymous step and the identified step are one person's: the identify call merges the
    /// anonymous id into the user, so the funnel counts one user through both steps.
    /// </summary>
    [WebClientFact]
    public async Task AnalyticsJs_AnonymousThenIdentifiedSteps_CountOneUserInTheFunnel()
    {
        var (journey, _, anonymous, identified) = await RunJourneyAsync();
        await StoredAsync(journey.Sent.Where(s => s.Type == "track").Select(s => s.MessageId), 2);
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd");
        using var client = browser.CreateHttpClient(DashboardFactory.ReadKey);

        using var doc = JsonDocument.Parse(await client.GetStringAsync($"/api/insights/funnel?steps={anonymous},{identified}&window=1d&from={today}&to={today}"));

        var users = doc.RootElement.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("users").GetInt32()).ToArray();
        Assert.Equal([1, 1], users);
    }

    [WebClientFact]
    public async Task OfrepWebProvider_ClientKeyListingTheOrigin_EvaluatesTheFlag()
    {
        var flag = "web_flag_" + Guid.NewGuid().ToString("N")[..10];
        await browser.Services.GetRequiredService<FlagAdmin>().SaveAsync(new FlagState(flag, "", "", true, 100, [], []), "test");
        var clientKey = await CreateKeyAsync(ApiRoles.Client, web.Origin);
        await using var session = await OpenPageAsync();

        var result = await session.Page.EvaluateAsync<JsonElement>("args => window.dashboardWebTest.evaluateFlag(args)",
            new { server = Server, clientKey, flag, user = "web-flag-user" });

        Assert.True(result.GetProperty("value").GetBoolean(), result.ToString());
        Assert.Equal("on", result.GetProperty("variant").GetString());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("errorCode").ValueKind);
        Assert.Equal(JsonValueKind.Null, result.GetProperty("providerError").ValueKind);
    }

    [WebClientFact]
    public async Task OfrepWebProvider_ClientKeyNotListingTheOrigin_IsRefusedAndGivesTheDefault()
    {
        var flag = "web_flag_" + Guid.NewGuid().ToString("N")[..10];
        await browser.Services.GetRequiredService<FlagAdmin>().SaveAsync(new FlagState(flag, "", "", true, 100, [], []), "test");
        // The page's origin is on another key's list, so the preflight passes and the key's own list refuses.
        await CreateKeyAsync(ApiRoles.Write, web.Origin);
        var clientKey = await CreateKeyAsync(ApiRoles.Client, "https://elsewhere.example.com");
        await using var session = await OpenPageAsync();
        var statuses = await RecordStatusesAsync(session, "POST", Server + "/ofrep/v1/evaluate/flags");

        var result = await session.Page.EvaluateAsync<JsonElement>("args => window.dashboardWebTest.evaluateFlag(args)",
            new { server = Server, clientKey, flag, user = "web-flag-user" });

        Assert.False(result.GetProperty("value").GetBoolean(), result.ToString());
        Assert.NotEqual(JsonValueKind.Null, result.GetProperty("errorCode").ValueKind);
        // The browser hides a refused answer from the page's script; the protocol still shows its status.
        Assert.True(await Eventually.ReadAsync(() => Task.FromResult(Snapshot(statuses).Contains(403)), seen => seen),
            $"the server answered {string.Join(", ", Snapshot(statuses))}, not 403");
    }

    /// <summary>
    /// The statuses the server answered to the page's requests of that method and URL, read from
    /// Chromium's network events: a response refused by CORS reaches neither the page nor
    /// Playwright's response event, but its status line is still reported.
    /// </summary>
    private static async Task<List<int>> RecordStatusesAsync(PageSession session, string method, string url)
    {
        var statuses = new List<int>();
        var requests = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        var cdp = await session.Context.NewCDPSessionAsync(session.Page);
        cdp.Event("Network.requestWillBeSent").OnEvent += (_, e) =>
        {
            var request = e!.Value.GetProperty("request");
            if (request.GetProperty("method").GetString() == method && request.GetProperty("url").GetString() == url)
                requests[e.Value.GetProperty("requestId").GetString()!] = true;
        };
        cdp.Event("Network.responseReceivedExtraInfo").OnEvent += (_, e) =>
        {
            if (requests.ContainsKey(e!.Value.GetProperty("requestId").GetString()!))
                lock (statuses) statuses.Add(e.Value.GetProperty("statusCode").GetInt32());
        };
        await cdp.SendAsync("Network.enable");
        return statuses;
    }

    private static List<int> Snapshot(List<int> statuses)
    {
        lock (statuses) return [.. statuses];
    }
}

/// <summary>
/// This repository's TypeScript client, built with tsc, in Chromium on another origin: what a tab
/// queued and never sent is in localStorage after a reload and is sent then; identify merges the
/// browser's anonymous history into the user.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class TypeScriptClientBrowserTests(BrowserFixture browser, WebClientPage web) : IClassFixture<WebClientPage>
{
    [WebClientFact]
    public async Task QueuedEvents_SurviveAReload_AndIdentifyMergesTheAnonymousHistory()
    {
        var server = browser.ServerAddress.ToString().TrimEnd('/');
        var writeKey = await browser.Services.GetRequiredService<ApiKeyStore>().CreateAsync($"ts {Guid.NewGuid():N}", ApiRoles.Write, web.Origin);
        var userId = "ts-web-" + Guid.NewGuid().ToString("N")[..12];
        await using var session = await browser.OpenAsync(signedIn: false);
        await session.GotoAsync(web.Origin + WebClientPage.ClientPage);
        await session.Page.WaitForFunctionAsync("() => window.DashboardClient !== undefined");

        // Queued for a minute: the tab is reloaded before the client would send.
        var anonymousId = await session.Page.EvaluateAsync<string>("""
            ({ host, writeKey }) => {
              const c = new window.DashboardClient({ host, writeKey, flushInterval: 60000 });
              c.track("APP_OPENED", { platform: "web" });
              c.page("Pricing");
              return c.anonymousId;
            }
            """, new { host = server, writeKey });
        await session.Page.ReloadAsync();
        await session.Page.WaitForFunctionAsync("() => window.DashboardClient !== undefined");

        var pending = await session.Page.EvaluateAsync<int>("""
            async ({ host, writeKey, userId }) => {
              const c = new window.DashboardClient({ host, writeKey, flushInterval: 60000 });
              const before = c.pending;
              c.identify(userId, { plan: "team" });
              await c.flush();
              return before * 100 + c.pending;
            }
            """, new { host = server, writeKey, userId });

        Assert.Equal(200, pending); // two messages came back from storage; none left after the flush
        Assert.Empty(session.Errors);
        using var reader = browser.CreateHttpClient(DashboardFactory.ReadKey);
        var person = await Eventually.ReadAsync(async () =>
        {
            using var response = await reader.GetAsync($"/api/people/{userId}");
            return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone() : (JsonElement?)null;
        }, p => p is { } e && e.GetProperty("events").GetInt64() == 2);
        Assert.Equal([anonymousId], person!.Value.GetProperty("mergedIds").EnumerateArray().Select(e => e.GetString()));
    }
}
