using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dashboard.Access;
using Dashboard.Data;
using Dashboard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Analytics.Experiments;

public sealed class ExperimentEndpointsTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new();
    private ExperimentTestKit _kit = default!;
    private string _flag = "";

    public async Task InitializeAsync()
    {
        _kit = new ExperimentTestKit(_factory);
        _flag = await _kit.FlagAsync("flag", ("control", 50), ("treatment", 50));
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private HttpClient Client(string key = DashboardFactory.AdminKey)
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private string Body(string key, string? extra = null) =>
        $$"""{ "key": "{{key}}", "flagKey": "{{_flag}}", "goalEvent": "PROJECT_CREATED", "start": "2026-11-01", "end": "2026-11-30", "minimumDetectableEffect": 0.2{{extra}} }""";

    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpClient client, HttpMethod method, string path, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Create_ValidBody_SnapshotsTheFlagsVariantsAsADraft()
    {
        using var client = Client();
        var key = _kit.Key("create");

        var (status, body) = await SendAsync(client, HttpMethod.Post, "/api/experiments",
            Json(Body(key, """, "hypothesis": "More projects", "goalFilter": { "templateUsed": "kanban" }""")));

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("draft", body.GetProperty("state").GetString());
        Assert.Equal(["control", "treatment"], body.GetProperty("variants").EnumerateArray().Select(v => v.GetProperty("key").GetString()));
        Assert.Equal(50, body.GetProperty("variants")[0].GetProperty("weight").GetDouble());
        // Dates: the start of the first day, the end of the last (inclusive) day.
        Assert.Equal("2026-11-01T00:00:00+00:00", body.GetProperty("start").GetString());
        Assert.Equal("2026-12-01T00:00:00+00:00", body.GetProperty("end").GetString());
        Assert.Equal("kanban", body.GetProperty("goalFilter").GetProperty("templateUsed").GetString());
        await using var db = _factory.CreateDbContext();
        var stored = db.Experiments.Single(e => e.Key == key);
        Assert.Equal(ExperimentState.Draft, stored.State);
        Assert.Equal(0.2, stored.MinimumDetectableEffect);
    }

    [Theory]
    [InlineData("{ \"key\": ", "not valid JSON")]
    [InlineData("[1, 2]", "must be a JSON object")]
    [InlineData("{ \"flagKey\": \"f\", \"goalEvent\": \"PROJECT_CREATED\" }", "key is required")]
    [InlineData("{ \"key\": \"k1\", \"goalEvent\": \"PROJECT_CREATED\" }", "flagKey is required")]
    [InlineData("{ \"key\": 5, \"flagKey\": \"f\", \"goalEvent\": \"PROJECT_CREATED\" }", "key must be a string")]
    [InlineData("{ \"key\": \"k1\", \"flagKey\": \"f\", \"goalEvent\": \"PROJECT_CREATED\", \"minimumDetectableEffect\": \"big\" }", "minimumDetectableEffect must be a number")]
    [InlineData("{ \"key\": \"k1\", \"flagKey\": \"f\", \"goalEvent\": \"PROJECT_CREATED\", \"start\": \"yesterday\" }", "start must be a date")]
    [InlineData("{ \"key\": \"k1\", \"flagKey\": \"f\", \"goalEvent\": \"PROJECT_CREATED\", \"goalFilter\": [\"x\"] }", "goalFilter must be an object")]
    [InlineData("{ \"key\": \"k1\", \"flagKey\": \"f\", \"goalEvent\": \"PROJECT_CREATED\", \"state\": \"stopped\" }", "state: draft or running")]
    [InlineData("{ \"key\": \"bad key!\", \"flagKey\": \"f\", \"goalEvent\": \"PROJECT_CREATED\" }", "key: 1 to 100 letters")]
    [InlineData("{ \"key\": \"k1\", \"flagKey\": \"f\", \"goalEvent\": \"PROJECT_CREATED\", \"analysis\": \"bayesian\" }", "analysis: sequential or fixedHorizon")]
    [InlineData("{ \"key\": \"k1\", \"flagKey\": \"f\", \"goalEvent\": \"PROJECT_CREATED\", \"analysis\": true }", "analysis must be a string")]
    [InlineData("{ \"key\": \"k1\", \"flagKey\": \"f\", \"goalEvent\": \"PROJECT_CREATED\", \"metrics\": { } }", "metrics must be an array")]
    [InlineData("{ \"key\": \"k1\", \"flagKey\": \"f\", \"goalEvent\": \"PROJECT_CREATED\", \"metrics\": [ 3 ] }", "metrics[0] must be an object")]
    [InlineData("{ \"key\": \"k1\", \"flagKey\": \"f\", \"goalEvent\": \"PROJECT_CREATED\", \"metrics\": [ { \"kind\": \"guardrail\", \"direction\": \"decrease\" } ] }", "metrics[0].event is required")]
    [InlineData("{ \"key\": \"k1\", \"flagKey\": \"f\", \"goalEvent\": \"PROJECT_CREATED\", \"metrics\": [ { \"event\": 7, \"kind\": \"guardrail\", \"direction\": \"decrease\" } ] }", "metrics[0].event must be a string")]
    [InlineData("{ \"key\": \"k1\", \"flagKey\": \"f\", \"goalEvent\": \"PROJECT_CREATED\", \"metrics\": [ { \"event\": \"PROJECT_CREATED\", \"direction\": \"decrease\" } ] }", "metrics[0].kind is required")]
    [InlineData("{ \"key\": \"k1\", \"flagKey\": \"f\", \"goalEvent\": \"PROJECT_CREATED\", \"metrics\": [ { \"event\": \"PROJECT_CREATED\", \"kind\": \"primary\", \"direction\": \"decrease\" } ] }", "metrics[0].kind: secondary or guardrail")]
    [InlineData("{ \"key\": \"k1\", \"flagKey\": \"f\", \"goalEvent\": \"PROJECT_CREATED\", \"metrics\": [ { \"event\": \"PROJECT_CREATED\", \"kind\": \"secondary\", \"direction\": \"up\" } ] }", "metrics[0].direction: increase or decrease")]
    [InlineData("{ \"key\": \"k1\", \"flagKey\": \"f\", \"goalEvent\": \"PROJECT_CREATED\", \"metrics\": [ { \"event\": \"NO_SUCH_EVENT\", \"kind\": \"secondary\", \"direction\": \"increase\" } ] }", "metrics[0].event: 'NO_SUCH_EVENT' is not in the event taxonomy")]
    [InlineData("{ \"key\": \"k1\", \"flagKey\": \"f\", \"goalEvent\": \"PROJECT_CREATED\", \"metrics\": [ { \"event\": \"PROJECT_CREATED\", \"where\": [1], \"kind\": \"secondary\", \"direction\": \"increase\" } ] }", "metrics[0].where must be an object")]
    [InlineData("{ \"key\": \"k1\", \"flagKey\": \"f\", \"goalEvent\": \"PROJECT_CREATED\", \"metrics\": [ { \"event\": \"PROJECT_CREATED\", \"where\": { \"a\": [1] }, \"kind\": \"secondary\", \"direction\": \"increase\" } ] }", "metrics[0].where.a: a string, number or boolean")]
    public async Task Create_MalformedOrMissingFields_Is400WithTheReason(string body, string reason)
    {
        using var client = Client();

        var (status, answer) = await SendAsync(client, HttpMethod.Post, "/api/experiments", Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(reason, answer.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Create_SemanticErrors_Are400()
    {
        using var client = Client();
        var single = await _kit.FlagAsync("single", ("on", 100));

        async Task<string> ErrorAsync(string body)
        {
            var (status, answer) = await SendAsync(client, HttpMethod.Post, "/api/experiments", Json(body));
            Assert.Equal(HttpStatusCode.BadRequest, status);
            return answer.GetProperty("error").GetString()!;
        }

        Assert.Contains("no flag", await ErrorAsync($$"""{ "key": "{{_kit.Key("a")}}", "flagKey": "nope", "goalEvent": "PROJECT_CREATED" }"""));
        Assert.Contains("at least two variants", await ErrorAsync($$"""{ "key": "{{_kit.Key("b")}}", "flagKey": "{{single}}", "goalEvent": "PROJECT_CREATED" }"""));
        Assert.Contains("not in the event taxonomy", await ErrorAsync(Body(_kit.Key("c")).Replace("PROJECT_CREATED", "PROJECT_MADE")));
        Assert.Contains("end must be after start", await ErrorAsync(Body(_kit.Key("d")).Replace("2026-11-30", "2026-10-01")));
        Assert.Contains("minimumDetectableEffect", await ErrorAsync(Body(_kit.Key("e")).Replace("0.2", "0")));
        Assert.Contains("goalFilter.size", await ErrorAsync(Body(_kit.Key("f"), """, "goalFilter": { "size": { "a": 1 } }""")));
    }

    [Fact]
    public async Task Create_OversizeBody_Is413()
    {
        using var client = Client();
        var hypothesis = new string('x', 70 * 1024);

        var (status, _) = await SendAsync(client, HttpMethod.Post, "/api/experiments", Json(Body(_kit.Key("big"), $", \"hypothesis\": \"{hypothesis}\"")));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
    }

    [Fact]
    public async Task Create_NotJson_Is415()
    {
        using var client = Client();

        var (status, body) = await SendAsync(client, HttpMethod.Post, "/api/experiments", new StringContent(Body(_kit.Key("text")), Encoding.UTF8, "text/plain"));

        Assert.True(status == HttpStatusCode.UnsupportedMediaType, $"{status} {body}");
    }

    [Fact]
    public async Task Create_DuplicateKey_Is409()
    {
        using var client = Client();
        var key = _kit.Key("dup");
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(client, HttpMethod.Post, "/api/experiments", Json(Body(key)))).Status);

        var (status, body) = await SendAsync(client, HttpMethod.Post, "/api/experiments", Json(Body(key)));

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("exists", body.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("ak_made_up", HttpStatusCode.Unauthorized)]
    [InlineData(DashboardFactory.WriteKey, HttpStatusCode.Forbidden)]
    [InlineData(DashboardFactory.ClientKey, HttpStatusCode.Forbidden)]
    [InlineData(DashboardFactory.ReadKey, HttpStatusCode.Forbidden)]
    public async Task Create_WrongKey_IsRefusedAndStoresNothing(string? key, HttpStatusCode expected)
    {
        using var client = _factory.CreateClient();
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var name = _kit.Key("refused");

        var (status, _) = await SendAsync(client, HttpMethod.Post, "/api/experiments", Json(Body(name)));

        Assert.Equal(expected, status);
        await using var db = _factory.CreateDbContext();
        Assert.False(db.Experiments.Any(e => e.Key == name));
    }

    [Fact]
    public async Task Create_AdminSession_Is401AndWithoutJsonContentType_Is415()
    {
        using var session = await _factory.CreateSessionClientAsync(AccountRoles.Admin);
        using var client = Client();

        // People change experiments on the pages; the write API takes an admin key only.
        var (bySession, _) = await SendAsync(session, HttpMethod.Post, "/api/experiments", Json(Body(_kit.Key("session"))));
        var (notJson, _) = await SendAsync(client, HttpMethod.Post, "/api/experiments",
            new StringContent(Body(_kit.Key("text")), Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.Unauthorized, bySession);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, notJson);
        await using var db = _factory.CreateDbContext();
        Assert.False(db.Experiments.Any(e => e.Key == _kit.Key("session") || e.Key == _kit.Key("text")));
    }

    [Fact]
    public async Task StartStop_Lifecycle_MovesThroughStatesAndEndsAtTheStop()
    {
        using var client = Client();
        var key = _kit.Key("life");
        await SendAsync(client, HttpMethod.Post, "/api/experiments", Json(Body(key).Replace("2026-11-30", "2099-12-31")));

        var (stopDraft, _) = await SendAsync(client, HttpMethod.Post, $"/api/experiments/{key}/stop");
        var (started, running) = await SendAsync(client, HttpMethod.Post, $"/api/experiments/{key}/start");
        var (startAgain, _) = await SendAsync(client, HttpMethod.Post, $"/api/experiments/{key}/start");
        var (changeFlag, _) = await SendAsync(client, HttpMethod.Put, $"/api/experiments/{key}", Json("""{ "flagKey": "other" }"""));
        var (edited, edit) = await SendAsync(client, HttpMethod.Put, $"/api/experiments/{key}", Json("""{ "hypothesis": "Sharper", "minimumDetectableEffect": 0.3 }"""));
        var (stoppedStatus, stopped) = await SendAsync(client, HttpMethod.Post, $"/api/experiments/{key}/stop");
        var (editStopped, _) = await SendAsync(client, HttpMethod.Put, $"/api/experiments/{key}", Json("""{ "hypothesis": "Late" }"""));

        Assert.Equal(HttpStatusCode.Conflict, stopDraft);
        Assert.Equal(HttpStatusCode.OK, started);
        Assert.Equal("running", running.GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.Conflict, startAgain);
        Assert.Equal(HttpStatusCode.Conflict, changeFlag);
        Assert.Equal(HttpStatusCode.OK, edited);
        Assert.Equal("Sharper", edit.GetProperty("hypothesis").GetString());
        Assert.Equal(0.3, edit.GetProperty("minimumDetectableEffect").GetDouble());
        Assert.Equal(HttpStatusCode.OK, stoppedStatus);
        Assert.Equal("stopped", stopped.GetProperty("state").GetString());
        // The planned end (2099) became the time of the stop.
        Assert.True(stopped.GetProperty("end").GetDateTimeOffset() <= DateTimeOffset.UtcNow);
        Assert.Equal(HttpStatusCode.Conflict, editStopped);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(client, HttpMethod.Post, "/api/experiments/no-such/start")).Status);
    }

    [Fact]
    public async Task Create_TooManyMetrics_Is400()
    {
        using var client = Client();
        var metrics = string.Join(", ", Enumerable.Repeat("""{ "event": "PROJECT_CREATED", "kind": "secondary", "direction": "increase" }""", 11));

        var (status, body) = await SendAsync(client, HttpMethod.Post, "/api/experiments", Json(Body(_kit.Key("many"), $", \"metrics\": [ {metrics} ]")));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("metrics: at most 10", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task CreateAndUpdate_MetricsAndAnalysis_AreStoredAndShown()
    {
        using var client = Client();
        var key = _kit.Key("metrics");

        var (status, body) = await SendAsync(client, HttpMethod.Post, "/api/experiments", Json(Body(key,
            """, "analysis": "fixedHorizon", "metrics": [ { "event": "PROJECT_CREATED", "where": { "templateUsed": "kanban" }, "kind": "secondary", "direction": "increase" } ]""")));

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("fixedHorizon", body.GetProperty("analysis").GetString());
        var metric = Assert.Single(body.GetProperty("metrics").EnumerateArray());
        Assert.Equal(("PROJECT_CREATED", "kanban", "secondary", "increase"), (metric.GetProperty("event").GetString(),
            metric.GetProperty("where").GetProperty("templateUsed").GetString(), metric.GetProperty("kind").GetString(), metric.GetProperty("direction").GetString()));

        var (updated, after) = await SendAsync(client, HttpMethod.Put, $"/api/experiments/{key}", Json("""{ "analysis": "sequential", "metrics": [] }"""));
        Assert.Equal(HttpStatusCode.OK, updated);
        Assert.Equal("sequential", after.GetProperty("analysis").GetString());
        Assert.Equal(0, after.GetProperty("metrics").GetArrayLength());
    }

    [Fact]
    public async Task Create_WithoutMetrics_GuardsTheErrorRateOnlyWhenTheTaxonomyDefinesAppError()
    {
        using var client = Client();
        var (_, without) = await SendAsync(client, HttpMethod.Post, "/api/experiments", Json(Body(_kit.Key("no-errors"))));
        Assert.Equal(0, without.GetProperty("metrics").GetArrayLength());

        await using (var db = _factory.CreateDbContext())
        {
            if (!db.EventDefinitions.Any(d => d.Name == "APP_ERROR")) db.EventDefinitions.Add(new EventDefinition { Name = "APP_ERROR" });
            await db.SaveChangesAsync();
        }
        await _factory.Services.GetRequiredService<Dashboard.Schema.TaxonomyCache>().ReloadAsync();

        var (status, with) = await SendAsync(client, HttpMethod.Post, "/api/experiments", Json(Body(_kit.Key("errors"))));
        var (_, chosen) = await SendAsync(client, HttpMethod.Post, "/api/experiments", Json(Body(_kit.Key("chosen"), ", \"metrics\": []")));

        Assert.Equal(HttpStatusCode.Created, status);
        var guard = Assert.Single(with.GetProperty("metrics").EnumerateArray());
        Assert.Equal(("APP_ERROR", "guardrail", "decrease"), (guard.GetProperty("event").GetString(), guard.GetProperty("kind").GetString(), guard.GetProperty("direction").GetString()));
        Assert.Equal(0, chosen.GetProperty("metrics").GetArrayLength());
    }

    [Fact]
    public async Task Results_ReaderKey_GetsTheContractShape()
    {
        var key = await _kit.ExperimentAsync("results", "2026-11-01T00:00:00Z", null);
        await _kit.CohortAsync(key, "control", 40, 4, "2026-11-02T00:00:00Z");
        await _kit.CohortAsync(key, "treatment", 40, 8, "2026-11-02T00:00:00Z");
        using var client = Client(DashboardFactory.ReadKey);

        var (status, r) = await SendAsync(client, HttpMethod.Get, $"/api/experiments/{key}/results");

        Assert.Equal(HttpStatusCode.OK, status);
        var control = r.GetProperty("variants")[0];
        var treatment = r.GetProperty("variants")[1];
        Assert.Equal(("control", 40, 4, 0.1), (control.GetProperty("key").GetString(), control.GetProperty("exposed").GetInt32(),
            control.GetProperty("converted").GetInt32(), control.GetProperty("rate").GetDouble()));
        // Control's comparison fields are null.
        foreach (var field in new[] { "absoluteLift", "ci95", "relativeLift", "pValue", "chanceToBeatControl" })
            Assert.Equal(JsonValueKind.Null, control.GetProperty(field).ValueKind);
        Assert.Equal(0.1, treatment.GetProperty("absoluteLift").GetDouble(), 12);
        Assert.Equal(1.0, treatment.GetProperty("relativeLift").GetDouble(), 12);
        Assert.Equal(2, treatment.GetProperty("ci95").GetArrayLength());
        Assert.InRange(treatment.GetProperty("pValue").GetDouble(), 0, 1);
        Assert.InRange(treatment.GetProperty("chanceToBeatControl").GetDouble(), 0.5, 1);
        Assert.False(r.GetProperty("srm").GetProperty("mismatch").GetBoolean());
        Assert.Equal(1, r.GetProperty("srm").GetProperty("pValue").GetDouble(), 12);
        Assert.True(r.GetProperty("sampleSizePerVariant").GetInt64() > 40);
        Assert.Contains("keep running", r.GetProperty("verdict").GetString());
        // Beyond one metric: the always-valid interval, the correction, CUPED (off: no pre-exposure events) and the metrics.
        Assert.Equal(JsonValueKind.Null, control.GetProperty("sequential").ValueKind);
        var sequential = treatment.GetProperty("sequential");
        Assert.Equal(2, sequential.GetProperty("ci95").GetArrayLength());
        Assert.True(sequential.GetProperty("ci95")[0].GetDouble() < treatment.GetProperty("ci95")[0].GetDouble());
        Assert.False(sequential.GetProperty("significant").GetBoolean());
        Assert.InRange(sequential.GetProperty("pValue").GetDouble(), 0, 1);
        Assert.Equal("sequential", r.GetProperty("analysis").GetString());
        Assert.Equal("none", r.GetProperty("correction").GetString());
        Assert.Equal(JsonValueKind.Null, treatment.GetProperty("cuped").ValueKind);
        Assert.Contains("no exposed user had any activity", r.GetProperty("cupedNote").GetString());
        Assert.Equal(0, r.GetProperty("metrics").GetArrayLength());
        Assert.Equal(0, r.GetProperty("guardrailWarnings").GetArrayLength());

        var csv = await client.GetStringAsync($"/api/experiments/{key}/results?format=csv");
        Assert.StartsWith("variant,weight,exposed,converted,rate,absoluteLift,ci95Low,ci95High,relativeLift,pValue,chanceToBeatControl,adjustedPValue," +
                          "sequentialLow,sequentialHigh,sequentialSignificant,cupedLift,cupedLow,cupedHigh,varianceReduction\r\n" +
                          "control,50,40,4,0.1,,,,,,,,,,,,,,\r\ntreatment,50,40,8,0.2,0.1,", csv);
    }

    [Fact]
    public async Task ListAndGet_ShowTheExperiment()
    {
        var key = await _kit.ExperimentAsync("listed", "2026-11-01T00:00:00Z", null);
        await _kit.CohortAsync(key, "control", 3, 1, "2026-11-02T00:00:00Z");
        await _kit.CohortAsync(key, "treatment", 2, 0, "2026-11-02T00:00:00Z");
        using var client = Client(DashboardFactory.ReadKey);

        var (status, list) = await SendAsync(client, HttpMethod.Get, "/api/experiments");
        var (getStatus, one) = await SendAsync(client, HttpMethod.Get, $"/api/experiments/{key}");
        var (missing, error) = await SendAsync(client, HttpMethod.Get, "/api/experiments/no-such/results");
        var (badFormat, _) = await SendAsync(client, HttpMethod.Get, "/api/experiments?format=xml");

        Assert.Equal(HttpStatusCode.OK, status);
        var item = Assert.Single(list.GetProperty("experiments").EnumerateArray(), e => e.GetProperty("key").GetString() == key);
        Assert.Equal(("running", 5, "control"), (item.GetProperty("state").GetString(), item.GetProperty("exposed").GetInt32(),
            item.GetProperty("leadingVariant").GetString()));
        Assert.Equal(HttpStatusCode.OK, getStatus);
        Assert.Equal(_flag, one.GetProperty("flagKey").GetString());
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Contains("no-such", error.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, badFormat);
        var csv = await client.GetStringAsync("/api/experiments?format=csv");
        Assert.StartsWith("key,flagKey,state,start,end,daysRunning,exposed,leadingVariant,verdict\r\n", csv);
        Assert.Contains($"{key},{_flag},running,2026-11-01T00:00:00Z,,", csv);
    }
}
