using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dashboard.Data;
using Dashboard.Flags;
using Dashboard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Flags;

/// <summary>OFREP over real HTTP (Kestrel) against flags written through the admin writer into a fresh SQLite file.</summary>
public sealed class OfrepEndpointsTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new(new Dictionary<string, string?> { ["Flags:CountFlushSeconds"] = "1" }, kestrel: true);
    private HttpClient _client = default!;

    public async Task InitializeAsync()
    {
        _client = _factory.CreateIngestClient(DashboardFactory.ClientKey);
        var admin = _factory.Services.GetRequiredService<FlagAdmin>();
        await admin.SaveAsync(new FlagState("checkout_v2", "", "", true, 41.05m, [new FlagRule("cohort", "equals", ["beta"])], []), "test");
        await admin.SaveAsync(new FlagState("pricing_page", "", "", true, 100, [], [new FlagVariant("control", 50), new FlagVariant("treatment", 50)]), "test");
        await admin.SaveAsync(new FlagState("dark_launch", "", "", false, 100, [], []), "test");
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<(HttpStatusCode Status, JsonElement Json)> PostAsync(string path, string body, HttpClient? client = null)
    {
        using var response = await (client ?? _client).PostAsync(path, Body(body));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    [Theory]
    [InlineData("Zoë", true, "on", "SPLIT")]        // rollout bucket 4104 < 4105
    [InlineData("bob", false, "off", "SPLIT")]      // 4115
    public async Task Evaluate_BooleanFlag_AnswersValueVariantAndReason(string user, bool value, string variant, string reason)
    {
        var (status, json) = await PostAsync("/ofrep/v1/evaluate/flags/checkout_v2", $$"""{ "context": { "targetingKey": "{{user}}" } }""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("checkout_v2", json.GetProperty("key").GetString());
        Assert.Equal(value, json.GetProperty("value").GetBoolean());
        Assert.Equal(variant, json.GetProperty("variant").GetString());
        Assert.Equal(reason, json.GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Object, json.GetProperty("metadata").ValueKind);
    }

    [Fact]
    public async Task Evaluate_TargetingAttributeInContext_IsTargetingMatch()
    {
        var (status, json) = await PostAsync("/ofrep/v1/evaluate/flags/checkout_v2", """{ "context": { "targetingKey": "bob", "cohort": "beta" } }""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(json.GetProperty("value").GetBoolean());
        Assert.Equal("TARGETING_MATCH", json.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Evaluate_FlagWithVariants_AnswersTheVariantAsAString()
    {
        // pricing_page variant bucket of Zoë is not the README's (different flag): compare with the evaluator.
        var expected = FlagEvaluator.Evaluate(new CompiledFlag(new FlagState("pricing_page", "", "", true, 100, [],
            [new FlagVariant("control", 50), new FlagVariant("treatment", 50)])), new EvaluationContext("Zoë")).Variant;
        var (status, json) = await PostAsync("/ofrep/v1/evaluate/flags/pricing_page", """{ "context": { "targetingKey": "Zoë" } }""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(expected, json.GetProperty("value").GetString());
        Assert.Equal(expected, json.GetProperty("variant").GetString());
    }

    [Fact]
    public async Task Evaluate_DisabledFlag_IsOffWithReasonDisabled()
    {
        var (status, json) = await PostAsync("/ofrep/v1/evaluate/flags/dark_launch", """{ "context": { "targetingKey": "a" } }""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(json.GetProperty("value").GetBoolean());
        Assert.Equal("DISABLED", json.GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData("/ofrep/v1/evaluate/flags/nope", """{ "context": { "targetingKey": "a" } }""", 404, "FLAG_NOT_FOUND")]
    [InlineData("/ofrep/v1/evaluate/flags/checkout_v2", """{ "context": { } }""", 400, "TARGETING_KEY_MISSING")]
    [InlineData("/ofrep/v1/evaluate/flags/checkout_v2", """{ }""", 400, "TARGETING_KEY_MISSING")]
    [InlineData("/ofrep/v1/evaluate/flags/checkout_v2", """{ "context": { "targetingKey": 42 } }""", 400, "INVALID_CONTEXT")]
    [InlineData("/ofrep/v1/evaluate/flags/checkout_v2", """{ "context": "alice" }""", 400, "INVALID_CONTEXT")]
    [InlineData("/ofrep/v1/evaluate/flags/checkout_v2", """{ "context": { "targetingKey": """, 400, "PARSE_ERROR")]
    [InlineData("/ofrep/v1/evaluate/flags/checkout_v2", "", 400, "PARSE_ERROR")]
    [InlineData("/ofrep/v1/evaluate/flags/checkout_v2", "[1, 2]", 400, "PARSE_ERROR")]
    public async Task Evaluate_BadRequest_AnswersTheOfrepErrorCode(string path, string body, int status, string code)
    {
        var (actual, json) = await PostAsync(path, body);
        Assert.Equal(status, (int)actual);
        Assert.Equal(code, json.GetProperty("errorCode").GetString());
        Assert.Equal(path.Split('/')[^1], json.GetProperty("key").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("errorDetails").GetString()));
    }

    [Fact]
    public async Task Evaluate_TargetingKeyMissingButRuleDecides_Answers()
    {
        var (status, json) = await PostAsync("/ofrep/v1/evaluate/flags/checkout_v2", """{ "context": { "cohort": "beta" } }""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(json.GetProperty("value").GetBoolean());
    }

    [Fact]
    public async Task Evaluate_OversizeBody_Is413()
    {
        var big = "{ \"context\": { \"targetingKey\": \"a\", \"pad\": \"" + new string('x', 70_000) + "\" } }";
        var (status, json) = await PostAsync("/ofrep/v1/evaluate/flags/checkout_v2", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("larger than", json.GetProperty("errorDetails").GetString());
    }

    [Theory]
    [InlineData(null, 401)]
    [InlineData("ck_made_up", 401)]
    [InlineData(DashboardFactory.WriteKey, 403)]
    [InlineData(DashboardFactory.ReadKey, 403)]
    [InlineData(DashboardFactory.AdminKey, 403)]
    public async Task Evaluate_WithoutAClientKey_IsRefused(string? key, int status)
    {
        using var client = _factory.CreateIngestClient(key);
        foreach (var path in new[] { "/ofrep/v1/evaluate/flags/checkout_v2", "/ofrep/v1/evaluate/flags" })
        {
            using var response = await client.PostAsync(path, Body("""{ "context": { "targetingKey": "a" } }"""));
            Assert.Equal(status, (int)response.StatusCode);
        }
    }

    [Fact]
    public async Task Evaluate_ClientKeyAsXApiKeyHeader_IsAccepted()
    {
        using var client = _factory.CreateIngestClient(null);
        client.DefaultRequestHeaders.Add("X-API-Key", DashboardFactory.ClientKey);
        using var response = await client.PostAsync("/ofrep/v1/evaluate/flags/checkout_v2", Body("""{ "context": { "targetingKey": "a" } }"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Bulk_AnswersEveryFlagWithAnETag_AndNotModifiedForTheSameTag()
    {
        using var response = await _client.PostAsync("/ofrep/v1/evaluate/flags", Body("""{ "context": { "targetingKey": "Zoë" } }"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var etag = response.Headers.ETag;
        Assert.NotNull(etag);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var flags = json.GetProperty("flags").EnumerateArray().ToDictionary(f => f.GetProperty("key").GetString()!);
        Assert.Superset(new HashSet<string> { "checkout_v2", "dark_launch", "pricing_page" }, flags.Keys.ToHashSet());
        Assert.True(flags["checkout_v2"].GetProperty("value").GetBoolean());
        Assert.Equal("DISABLED", flags["dark_launch"].GetProperty("reason").GetString());

        using var again = new HttpRequestMessage(HttpMethod.Post, "/ofrep/v1/evaluate/flags") { Content = Body("""{ "context": { "targetingKey": "Zoë" } }""") };
        again.Headers.IfNoneMatch.Add(etag!);
        using var notModified = await _client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());

        // Another user, or a changed flag, gets a new answer.
        using var other = new HttpRequestMessage(HttpMethod.Post, "/ofrep/v1/evaluate/flags") { Content = Body("""{ "context": { "targetingKey": "bob" } }""") };
        other.Headers.IfNoneMatch.Add(etag!);
        using var otherResponse = await _client.SendAsync(other);
        Assert.Equal(HttpStatusCode.OK, otherResponse.StatusCode);

        await _factory.Services.GetRequiredService<FlagAdmin>().SaveAsync(
            new FlagState("checkout_v2", "", "", false, 41.05m, [new FlagRule("cohort", "equals", ["beta"])], []), "test");
        using var changed = new HttpRequestMessage(HttpMethod.Post, "/ofrep/v1/evaluate/flags") { Content = Body("""{ "context": { "targetingKey": "Zoë" } }""") };
        changed.Headers.IfNoneMatch.Add(etag!);
        using var changedResponse = await _client.SendAsync(changed);
        Assert.Equal(HttpStatusCode.OK, changedResponse.StatusCode);
        Assert.NotEqual(etag, changedResponse.Headers.ETag);
    }

    [Fact]
    public async Task Evaluate_TargetingKeyOver256Characters_IsAnInvalidContext()
    {
        var (ok, _) = await PostAsync("/ofrep/v1/evaluate/flags/checkout_v2", $$"""{ "context": { "targetingKey": "{{new string('k', 256)}}" } }""");
        var (status, json) = await PostAsync("/ofrep/v1/evaluate/flags/checkout_v2", $$"""{ "context": { "targetingKey": "{{new string('k', 257)}}" } }""");

        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("INVALID_CONTEXT", json.GetProperty("errorCode").GetString());
        Assert.Contains("256", json.GetProperty("errorDetails").GetString());
    }

    [Fact]
    public async Task Bulk_WithoutTargetingKey_ReportsThePerFlagError()
    {
        var (status, json) = await PostAsync("/ofrep/v1/evaluate/flags", """{ "context": { } }""");
        Assert.Equal(HttpStatusCode.OK, status);
        var flags = json.GetProperty("flags").EnumerateArray().ToDictionary(f => f.GetProperty("key").GetString()!);
        Assert.Equal("TARGETING_KEY_MISSING", flags["checkout_v2"].GetProperty("errorCode").GetString());
        Assert.Equal("DISABLED", flags["dark_launch"].GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData("{ not json", "PARSE_ERROR")]
    [InlineData("""{ "context": [1] }""", "INVALID_CONTEXT")]
    public async Task Bulk_BadBody_Is400WithErrorCode(string body, string code)
    {
        var (status, json) = await PostAsync("/ofrep/v1/evaluate/flags", body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(code, json.GetProperty("errorCode").GetString());
    }

    [Fact]
    public async Task Evaluate_ChangeWrittenToTheStoreByAnotherWriter_IsServedWithinOneSecond()
    {
        // Written straight to the table, as another process would: only the periodic reload can see it.
        await using (var db = _factory.CreateDbContext())
        {
            await db.Flags.Where(f => f.Key == "dark_launch").ExecuteUpdateAsync(u => u.SetProperty(f => f.Enabled, true));
        }
        var started = DateTime.UtcNow;
        var reason = await Eventually.ReadAsync(async () =>
            (await PostAsync("/ofrep/v1/evaluate/flags/dark_launch", """{ "context": { "targetingKey": "a" } }""")).Json.GetProperty("reason").GetString()!,
            r => r != "DISABLED", TimeSpan.FromSeconds(3));
        Assert.Equal("SPLIT", reason);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(1.5), $"took {(DateTime.UtcNow - started).TotalMilliseconds:N0} ms");
    }

    [Fact]
    public async Task Evaluate_TargetingMatchOnAnExperimentsFlag_EntersNoExperiment()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await _factory.Services.GetRequiredService<FlagAdmin>().SaveAsync(new FlagState("beta_pricing", "", "", true, 100,
            [new FlagRule("cohort", "equals", ["beta"], true, "treatment")], [new FlagVariant("control", 50), new FlagVariant("treatment", 50)]), "test");
        await using (var db = _factory.CreateDbContext())
        {
            db.Experiments.Add(new ExperimentRecord
            {
                Key = "beta_pricing_test", FlagKey = "beta_pricing", GoalEvent = "PROJECT_CREATED", State = ExperimentState.Running,
                Start = now - 60_000, End = now + 86_400_000, Variants = """[{"key":"control","weight":50},{"key":"treatment","weight":50}]""",
            });
            await db.SaveChangesAsync();
        }
        await _factory.Services.GetRequiredService<FlagCache>().ReloadAsync();

        // A targeted user is not randomized: served the rule's variant, outside the experiment.
        var (_, targeted) = await PostAsync("/ofrep/v1/evaluate/flags/beta_pricing", """{ "context": { "targetingKey": "beta-user", "cohort": "beta" } }""");
        var (_, split) = await PostAsync("/ofrep/v1/evaluate/flags/beta_pricing", """{ "context": { "targetingKey": "split-user" } }""");

        Assert.Equal(("TARGETING_MATCH", "treatment"), (targeted.GetProperty("reason").GetString(), targeted.GetProperty("variant").GetString()));
        Assert.False(targeted.GetProperty("metadata").TryGetProperty("experiment", out _));
        Assert.Equal("SPLIT", split.GetProperty("reason").GetString());
        Assert.Equal("beta_pricing_test", split.GetProperty("metadata").GetProperty("experiment").GetString());
        var exposed = await Eventually.ReadAsync(async () =>
        {
            await using var db = _factory.CreateDbContext();
            return await db.Exposures.AsNoTracking().Where(e => e.ExperimentKey == "beta_pricing_test")
                .Join(db.TrackedUsers, e => e.UserId, u => u.Id, (e, u) => u.Key).ToListAsync();
        }, e => e.Count > 0);
        // A targeted exposure would have been enqueued before the split one, so it would have landed by now.
        Assert.Equal(["split-user"], exposed);
    }

    [Fact]
    public async Task Evaluate_FlagFeedingARunningExperiment_RecordsTheFirstExposureOnly()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using (var db = _factory.CreateDbContext())
        {
            db.Experiments.Add(new ExperimentRecord
            {
                Key = "pricing_test", FlagKey = "pricing_page", GoalEvent = "PROJECT_CREATED", State = ExperimentState.Running,
                Start = now - 60_000, End = now + 86_400_000, Variants = """[{"key":"control","weight":50},{"key":"treatment","weight":50}]""",
            });
            db.Experiments.Add(new ExperimentRecord
            {
                Key = "old_test", FlagKey = "checkout_v2", GoalEvent = "PROJECT_CREATED", State = ExperimentState.Running,
                Start = now - 200_000_000, End = now - 100_000_000,
            });
            await db.SaveChangesAsync();
        }
        await _factory.Services.GetRequiredService<FlagCache>().ReloadAsync();

        var first = await PostAsync("/ofrep/v1/evaluate/flags/pricing_page", """{ "context": { "targetingKey": "exposed-user" } }""");
        Assert.Equal("pricing_test", first.Json.GetProperty("metadata").GetProperty("experiment").GetString());
        for (var i = 0; i < 5; i++) await PostAsync("/ofrep/v1/evaluate/flags/pricing_page", """{ "context": { "targetingKey": "exposed-user" } }""");
        // Outside the rollout (bob is out of checkout_v2's 41.05 %) there is no variant, and the old experiment has ended.
        await PostAsync("/ofrep/v1/evaluate/flags/checkout_v2", """{ "context": { "targetingKey": "bob" } }""");

        var exposures = await Eventually.ReadAsync(async () =>
        {
            await using var db = _factory.CreateDbContext();
            return await db.Exposures.AsNoTracking().ToListAsync();
        }, e => e.Count > 0);
        var exposure = Assert.Single(exposures);
        Assert.Equal("pricing_test", exposure.ExperimentKey);
        Assert.Equal(first.Json.GetProperty("variant").GetString(), exposure.Variant);
        await using (var db = _factory.CreateDbContext())
        {
            Assert.Equal("exposed-user", (await db.TrackedUsers.SingleAsync(u => u.Id == exposure.UserId)).Key);
        }
    }

    [Fact]
    public async Task Evaluate_CountsReachTheHourlyTable()
    {
        for (var i = 0; i < 7; i++) await PostAsync("/ofrep/v1/evaluate/flags/dark_launch", $$"""{ "context": { "targetingKey": "c{{i}}" } }""");
        await _factory.Services.GetRequiredService<EvaluationCounters>().FlushAsync();
        await using var db = _factory.CreateDbContext();
        Assert.Equal(7, await db.FlagEvaluationCounts.Where(c => c.FlagKey == "dark_launch").SumAsync(c => c.Count));
    }
}
