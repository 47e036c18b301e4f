using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dashboard.Analytics.Experiments;
using Dashboard.Annotations;
using Dashboard.Data;
using Dashboard.Schema;
using Dashboard.Tests.Analytics;
using Dashboard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Annotations;

public sealed class AnnotationEndpointsTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private HttpClient Client(string key)
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Today => DateTime.UtcNow.ToString("yyyy-MM-dd");

    private async Task<JsonElement> TodaysAsync()
    {
        using var reader = _factory.CreateReaderClient();
        return await reader.GetJsonAsync($"/api/annotations?from={DateTime.UtcNow.AddDays(-1):yyyy-MM-dd}&to={DateTime.UtcNow.AddDays(1):yyyy-MM-dd}");
    }

    private static List<JsonElement> OfKind(JsonElement list, string kind) =>
        list.EnumerateArray().Where(a => a.GetProperty("kind").GetString() == kind).ToList();

    [Fact]
    public async Task FlagToggle_AppearsAsAFlagAnnotationWithWhoAndWhat()
    {
        using var admin = Client(DashboardFactory.AdminKey);
        const string flag = """{ "enabled": false, "rolloutPercent": 0 }""";
        (await admin.PutAsync("/api/flags/annotated_flag", Json(flag))).EnsureSuccessStatusCode();
        (await admin.PutAsync("/api/flags/annotated_flag", Json(flag.Replace("false", "true")))).EnsureSuccessStatusCode();

        var flags = OfKind(await TodaysAsync(), "flag").Where(a => a.GetProperty("text").GetString()!.Contains("annotated_flag")).ToList();

        Assert.Equal(2, flags.Count);
        Assert.Equal("Flag annotated_flag created", flags[0].GetProperty("text").GetString());
        Assert.Equal("Flag annotated_flag changed: Enabled: off → on", flags[1].GetProperty("text").GetString());
        Assert.StartsWith("key:", flags[1].GetProperty("by").GetString());
        Assert.Equal("flags/annotated_flag", flags[1].GetProperty("link").GetString());
        Assert.Equal(JsonValueKind.Null, flags[1].GetProperty("id").ValueKind);
    }

    [Fact]
    public async Task ExperimentStartAndStop_AreRecordedWithWhoMadeThem()
    {
        var editor = _factory.Services.GetRequiredService<ExperimentEditor>();
        var created = await editor.CreateAsync(new ExperimentInput("annotated-exp", "new_onboarding_flow", null, "PROJECT_CREATED", null, null, null, null));
        Assert.Equal(EditOutcome.Ok, created.Outcome);
        using var admin = Client(DashboardFactory.AdminKey);
        (await admin.PostAsync("/api/experiments/annotated-exp/start", Json("{}"))).EnsureSuccessStatusCode();
        Assert.Equal(EditOutcome.Ok, (await editor.StopAsync("annotated-exp", "alice")).Outcome);

        var records = OfKind(await TodaysAsync(), "experiment").Where(a => a.GetProperty("text").GetString()!.Contains("annotated-exp")).ToList();

        Assert.Equal(2, records.Count);
        Assert.Equal("Experiment annotated-exp started (flag new_onboarding_flow, goal PROJECT_CREATED)", records[0].GetProperty("text").GetString());
        Assert.StartsWith("key:", records[0].GetProperty("by").GetString());
        Assert.Equal("Experiment annotated-exp stopped (flag new_onboarding_flow, goal PROJECT_CREATED)", records[1].GetProperty("text").GetString());
        Assert.Equal("alice", records[1].GetProperty("by").GetString());
        Assert.Equal("experiments/annotated-exp", records[1].GetProperty("link").GetString());
    }

    [Fact]
    public async Task TaxonomyChanges_AddEditAndDelete_AreRecorded()
    {
        var editor = _factory.Services.GetRequiredService<TaxonomyEditor>();
        var definition = new EventDefinition { Name = "ANNOTATED_EVENT", Properties = [new PropertyDefinition { Name = "plan" }] };
        Assert.Empty(await editor.SaveAsync(definition, "bob"));
        var edit = new EventDefinition
        {
            Id = definition.Id, Name = "ANNOTATED_EVENT", Description = "now described",
            Properties = [new PropertyDefinition { Name = "seats", Type = PropertyType.Number }],
        };
        Assert.Empty(await editor.SaveAsync(edit, "bob"));
        Assert.Null(await editor.DeleteAsync(definition.Id, "carol"));

        var records = OfKind(await TodaysAsync(), "taxonomy").Where(a => a.GetProperty("text").GetString()!.Contains("ANNOTATED_EVENT")).ToList();

        Assert.Equal(
            ["Event ANNOTATED_EVENT added", "Event ANNOTATED_EVENT changed: description; property seats added; property plan removed", "Event ANNOTATED_EVENT deleted"],
            records.Select(r => r.GetProperty("text").GetString()));
        Assert.Equal(["bob", "bob", "carol"], records.Select(r => r.GetProperty("by").GetString()));
        Assert.Equal("events/ANNOTATED_EVENT", records[0].GetProperty("link").GetString());
    }

    [Fact]
    public async Task Note_AddListDelete_RoundTrips()
    {
        using var admin = Client(DashboardFactory.AdminKey);
        using var created = await admin.PostAsync("/api/annotations", Json("""{ "at": "2026-11-03T14:30:00Z", "text": "  v2.3 released " }"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var note = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        var id = note.GetProperty("id").GetInt64();
        Assert.Equal("v2.3 released", note.GetProperty("text").GetString());
        Assert.Equal("note", note.GetProperty("kind").GetString());

        using var reader = _factory.CreateReaderClient();
        var listed = await reader.GetJsonAsync("/api/annotations?from=2026-11-03&to=2026-11-03");
        var one = Assert.Single(listed.EnumerateArray());
        Assert.Equal(id, one.GetProperty("id").GetInt64());
        Assert.Equal(DateTimeOffset.Parse("2026-11-03T14:30:00Z"), one.GetProperty("at").GetDateTimeOffset());
        // The day after is another range: [start of from, end of to).
        Assert.Empty((await reader.GetJsonAsync("/api/annotations?from=2026-11-04&to=2026-11-04")).EnumerateArray());

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/annotations/{id}")).StatusCode);
        Assert.Empty((await reader.GetJsonAsync("/api/annotations?from=2026-11-03&to=2026-11-03")).EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/api/annotations/{id}")).StatusCode);
    }

    [Fact]
    public async Task Delete_RecordOfAChange_Is409()
    {
        var editor = _factory.Services.GetRequiredService<TaxonomyEditor>();
        Assert.Empty(await editor.SaveAsync(new EventDefinition { Name = "KEPT_RECORD" }, "bob"));
        var record = OfKind(await TodaysAsync(), "taxonomy").Single(a => a.GetProperty("text").GetString() == "Event KEPT_RECORD added");
        using var admin = Client(DashboardFactory.AdminKey);

        using var response = await admin.DeleteAsync($"/api/annotations/{record.GetProperty("id").GetInt64()}");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("only notes can be deleted", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("{ not json", 400, "not valid JSON")]
    [InlineData("[1]", 400, "must be a JSON object")]
    [InlineData("{}", 400, "missing fields: at, text")]
    [InlineData("""{ "at": "2026-11-03" }""", 400, "missing fields: text")]
    [InlineData("""{ "at": 5, "text": "x" }""", 400, "at must be an ISO-8601 time")]
    [InlineData("""{ "at": "yesterday", "text": "x" }""", 400, "at must be an ISO-8601 time")]
    [InlineData("""{ "at": "2026-11-03", "text": 7 }""", 400, "text must be a string")]
    [InlineData("""{ "at": "2026-11-03", "text": "   " }""", 400, "text is required")]
    [InlineData("""{ "at": "2999-01-01", "text": "later" }""", 400, "at most a day from now")]
    public async Task Post_BadBody_IsAnErrorWithTheReason(string body, int status, string reason)
    {
        using var admin = Client(DashboardFactory.AdminKey);

        using var response = await admin.PostAsync("/api/annotations", Json(body));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Contains(reason, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Post_TooLongTextOversizeBodyAndWrongType_AreRefused()
    {
        using var admin = Client(DashboardFactory.AdminKey);
        var tooLong = new string('x', AnnotationLog.MaxTextLength + 1);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsync("/api/annotations", Json($$"""{ "at": "2026-11-03", "text": "{{tooLong}}" }"""))).StatusCode);
        var huge = $$"""{ "at": "2026-11-03", "text": "{{new string('x', AnnotationEndpoints.MaxBodyBytes)}}" }""";
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await admin.PostAsync("/api/annotations", Json(huge))).StatusCode);
        using var text = new StringContent("""{ "at": "2026-11-03", "text": "x" }""", Encoding.UTF8, "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await admin.PostAsync("/api/annotations", text)).StatusCode);
    }

    [Fact]
    public async Task Writes_ReadKey_Are403AndGetWithoutRange_Is400()
    {
        using var reader = Client(DashboardFactory.ReadKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsync("/api/annotations", Json("""{ "at": "2026-11-03", "text": "x" }"""))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.DeleteAsync("/api/annotations/1")).StatusCode);
        using var missing = await reader.GetAsync("/api/annotations?from=2026-11-03");
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("'to' is required", await missing.Content.ReadAsStringAsync());
        using var admin = Client(DashboardFactory.AdminKey);
        using var badId = await admin.DeleteAsync("/api/annotations/abc");
        Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);
    }
}
