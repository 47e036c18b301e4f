using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dashboard.Flags;
using Dashboard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Flags;

public sealed class FlagEndpointsTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private HttpClient Admin()
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DashboardFactory.AdminKey);
        return client;
    }

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    private const string Flag = """
        { "description": "New checkout", "owner": "payments", "enabled": true, "rolloutPercent": 12.5,
          "rules": [ { "attribute": "plan", "operator": "in", "values": ["team", "enterprise"], "value": true } ],
          "variants": [ { "key": "control", "weight": 50 }, { "key": "treatment", "weight": 50 } ] }
        """;

    [Fact]
    public async Task Put_NewFlag_CreatesItAndRecordsTheKeysNameInTheAudit()
    {
        var keyName = "deploy pipeline";
        var key = await _factory.Services.GetRequiredService<Dashboard.Access.ApiKeyStore>().CreateAsync(keyName, "admin");
        var actor = $"key:deploy pipeline ({key[..7]})";
        using var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

        using var created = await client.PutAsync("/api/flags/checkout_api", Body(Flag));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var view = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(12.5m, view.GetProperty("rolloutPercent").GetDecimal());
        Assert.Equal("targeted", view.GetProperty("status").GetString());
        Assert.Equal(actor, view.GetProperty("updatedBy").GetString());

        using var replaced = await client.PutAsync("/api/flags/checkout_api", Body(Flag.Replace("12.5", "30")));
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);

        using var reader = _factory.CreateReaderClient();
        var audit = JsonDocument.Parse(await reader.GetStringAsync("/api/flags/checkout_api/audit")).RootElement.GetProperty("entries");
        Assert.Equal(2, audit.GetArrayLength());
        Assert.Equal("update", audit[0].GetProperty("action").GetString());
        Assert.Equal(actor, audit[0].GetProperty("actor").GetString());
        Assert.Equal(12.5m, audit[0].GetProperty("before").GetProperty("rolloutPercent").GetDecimal());
        Assert.Equal(30m, audit[0].GetProperty("after").GetProperty("rolloutPercent").GetDecimal());
        Assert.Equal("Rollout: 12.5 % → 30 %", audit[0].GetProperty("changes")[0].GetString());
        Assert.Equal("create", audit[1].GetProperty("action").GetString());
        Assert.Equal(JsonValueKind.Null, audit[1].GetProperty("before").ValueKind);
    }

    [Fact]
    public async Task Get_ListAndOne_AnswerTheFlagsState()
    {
        using var admin = Admin();
        (await admin.PutAsync("/api/flags/list_me", Body(Flag))).EnsureSuccessStatusCode();
        using var reader = _factory.CreateReaderClient();
        var list = JsonDocument.Parse(await reader.GetStringAsync("/api/flags?search=LIST_")).RootElement.GetProperty("flags");
        var one = Assert.Single(list.EnumerateArray());
        Assert.Equal("list_me", one.GetProperty("key").GetString());
        Assert.Equal(0, one.GetProperty("evaluationsLast24Hours").GetInt64());
        Assert.False(one.GetProperty("stale").GetBoolean());
        var single = JsonDocument.Parse(await reader.GetStringAsync("/api/flags/list_me")).RootElement;
        Assert.Equal("payments", single.GetProperty("owner").GetString());
        Assert.Equal("team", single.GetProperty("rules")[0].GetProperty("values")[0].GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync("/api/flags/nope")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync("/api/flags/nope/audit")).StatusCode);
    }

    [Theory]
    [InlineData("{ not json", "not a valid flag")]
    [InlineData("[]", "not a valid flag")]
    [InlineData("null", "must be a JSON object")]
    [InlineData("""{ "enabled": true }""", "missing fields: rolloutPercent")]
    [InlineData("""{ "rolloutPercent": 5 }""", "missing fields: enabled")]
    [InlineData("""{ "enabled": "yes", "rolloutPercent": 5 }""", "not a valid flag")]
    [InlineData("""{ "enabled": true, "rolloutPercent": "ten" }""", "not a valid flag")]
    [InlineData("""{ "enabled": true, "rolloutPercent": 5, "rules": {} }""", "not a valid flag")]
    public async Task Put_MalformedBody_Is400WithTheReason(string body, string reason)
    {
        using var admin = Admin();
        using var response = await admin.PutAsync("/api/flags/bad_body", Body(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Put_InvalidFlag_Is400WithEveryError()
    {
        using var admin = Admin();
        using var response = await admin.PutAsync("/api/flags/bad%20key", Body("""
            { "enabled": true, "rolloutPercent": 101, "variants": [ { "key": "a", "weight": 60 }, { "key": "b", "weight": 30 } ] }
            """));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors")
            .EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Contains(errors, e => e.StartsWith("The key"));
        Assert.Contains(errors, e => e.Contains("between 0 and 100"));
        Assert.Contains(errors, e => e.Contains("sum to 100 (they sum to 90)"));
    }

    [Fact]
    public async Task Put_OversizeBody_Is413()
    {
        using var admin = Admin();
        var body = "{ \"enabled\": true, \"rolloutPercent\": 5, \"description\": \"" + new string('x', 300_000) + "\" }";
        using var response = await admin.PutAsync("/api/flags/too_big", Body(body));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Put_SameState_WritesNoAuditEntry()
    {
        using var admin = Admin();
        (await admin.PutAsync("/api/flags/same", Body(Flag))).EnsureSuccessStatusCode();
        (await admin.PutAsync("/api/flags/same", Body(Flag))).EnsureSuccessStatusCode();
        var audit = await _factory.Services.GetRequiredService<FlagQueries>().AuditAsync("same");
        Assert.Single(audit!);
    }

    [Fact]
    public async Task Restore_EarlierState_BringsItBackAndIsAudited()
    {
        var admin = _factory.Services.GetRequiredService<FlagAdmin>();
        var first = new FlagState("restore_me", "v1", "", true, 10, [], []);
        await admin.SaveAsync(first, "alice");
        await admin.SaveAsync(first with { RolloutPercent = 90, Description = "v2" }, "bob");
        var queries = _factory.Services.GetRequiredService<FlagQueries>();
        var created = (await queries.AuditAsync("restore_me"))!.Single(a => a.Action == FlagAdmin.Create);

        var result = await admin.RestoreAsync("restore_me", created.Id, "carol");

        Assert.True(result.Saved);
        var detail = await queries.GetAsync("restore_me");
        Assert.Equal(first, detail!.Summary.Flag with { Rules = first.Rules, Variants = first.Variants });
        Assert.Equal(10, detail.Summary.Flag.RolloutPercent);
        Assert.Equal("carol", detail.Summary.UpdatedBy);
        var latest = (await queries.AuditAsync("restore_me"))![0];
        Assert.Equal(FlagAdmin.Restore, latest.Action);
        Assert.Contains("Rollout: 90 % → 10 %", latest.Changes);
        Assert.False((await admin.RestoreAsync("restore_me", 999_999, "carol")).Saved);
    }
}
