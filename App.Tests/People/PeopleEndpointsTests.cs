using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dashboard.Tests.Ingest;
using Dashboard.Tests.TestSupport;
using static Dashboard.Tests.Ingest.IngestTestKit;

namespace Dashboard.Tests.People;

/// <summary>
/// The people list, a person's events and the flags a person gets, through real ingest into a
/// fresh SQLite store. Data is told apart by unique id prefixes; every expected order is worked out
/// by hand from the timestamps sent.
/// </summary>
public sealed class PeopleEndpointsTests(IngestEndpointsFixture fixture) : IClassFixture<IngestEndpointsFixture>
{
    private readonly DashboardFactory _factory = fixture.Factory;

    /// <summary>A fixed minute an hour ago, so timestamps are accepted and ties are exact.</summary>
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds() / 60 * 60);

    private async Task IngestAsync(params object[] items)
    {
        using var ingest = _factory.CreateIngestClient();
        var reply = await (await ingest.PostRawAsync("/ingest", JsonSerializer.Serialize(new { batch = items }))).ReadReplyAsync();
        Assert.Empty(reply.Rejected);
    }

    private static object Opened(string userId, DateTimeOffset at, string? messageId = null, object? properties = null) => new Dictionary<string, object?>
    {
        ["event"] = "APP_OPENED", ["userId"] = userId, ["timestamp"] = Iso(at), ["messageId"] = messageId ?? NewId("m"), ["properties"] = properties,
    };

    private async Task<JsonElement> GetAsync(string path)
    {
        using var reader = _factory.CreateReaderClient();
        using var response = await reader.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static string[] Ids(JsonElement page) => [.. page.GetProperty("people").EnumerateArray().Select(p => p.GetProperty("id").GetString()!)];

    [Fact]
    public async Task List_ByIdPrefix_PagesNewestSeenFirstAcrossTiesWithoutLossOrRepeats()
    {
        var prefix = NewId("pp");
        var (a, b, c, d) = (prefix + "-a", prefix + "-b", prefix + "-c", prefix + "-d");
        // a last seen at T0+2m; b and c both at T0+1m (c stored later, so its row id is higher); d at T0.
        await IngestAsync(Opened(a, T0.AddMinutes(2)));
        await IngestAsync(Opened(b, T0.AddMinutes(1)));
        await IngestAsync(Opened(c, T0.AddMinutes(1)));
        await IngestAsync(Opened(d, T0));

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await GetAsync($"/api/people?search={Uri.EscapeDataString(prefix)}&limit=1" + (cursor is null ? "" : "&cursor=" + cursor));
            seen.AddRange(Ids(page));
            cursor = page.GetProperty("nextCursor").GetString();
            pages++;
        } while (cursor is not null && pages < 10);

        Assert.Equal([a, c, b, d], seen);
        Assert.Equal(4, pages);

        var two = await GetAsync($"/api/people?search={Uri.EscapeDataString(prefix.ToUpperInvariant())}&limit=2");
        Assert.Equal([a, c], Ids(two));
        var person = two.GetProperty("people")[0];
        Assert.Equal(T0.AddMinutes(2), person.GetProperty("lastSeen").GetDateTimeOffset());
        Assert.Equal(T0.AddMinutes(2), person.GetProperty("firstSeen").GetDateTimeOffset());
    }

    [Fact]
    public async Task List_ByTrait_FindsThePeopleWithThatValue_AndLeavesMergedAnonymousIdsOut()
    {
        var (team, pro, anon) = (NewId("team"), NewId("pro"), NewId("anon"));
        var plan = NewId("plan");
        await IngestAsync(
            new Dictionary<string, object?> { ["event"] = "APP_OPENED", ["anonymousId"] = anon, ["timestamp"] = Iso(T0) },
            new { type = "identify", userId = team, anonymousId = anon, traits = new Dictionary<string, object> { [plan] = "team", ["seats"] = 5 } },
            new { type = "identify", userId = pro, traits = new Dictionary<string, object> { [plan] = "pro" } });

        Assert.Equal([team], Ids(await GetAsync($"/api/people?search={plan}:team")));
        Assert.Equal([pro], Ids(await GetAsync($"/api/people?search={plan}:pro")));
        Assert.Empty(Ids(await GetAsync($"/api/people?search={plan}:none")));
        // Numbers and booleans compare as their JSON text.
        var seats = NewId("seats");
        var beta = NewId("beta");
        await IngestAsync(new { type = "identify", userId = pro, traits = new Dictionary<string, object> { [plan] = "pro", [seats] = 5, [beta] = true } });
        Assert.Equal([pro], Ids(await GetAsync($"/api/people?search={seats}:5")));
        Assert.Equal([pro], Ids(await GetAsync($"/api/people?search={beta}:true")));
        Assert.Empty(Ids(await GetAsync($"/api/people?search={beta}:1")));
        // The anonymous id is part of its user: not listed by its own prefix.
        Assert.Empty(Ids(await GetAsync($"/api/people?search={anon}")));
        Assert.Null((await GetAsync($"/api/people?search={plan}:team")).GetProperty("nextCursor").GetString());

        using var reader = _factory.CreateReaderClient();
        var csv = await reader.GetStringAsync($"/api/people?search={plan}:team&format=csv");
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("id,firstSeen,lastSeen,traits", lines[0]);
        Assert.StartsWith(team + ",", lines[1]);
        Assert.Equal(2, lines.Length);
    }

    [Fact]
    public async Task Events_NewestFirst_PagesTiesInTimestampWithoutLossOrRepeats_AndAMergedIdAnswersItsUser()
    {
        var (user, anon) = (NewId("user"), NewId("anon"));
        var m = Enumerable.Range(0, 5).Select(i => NewId($"m{i}")).ToArray();
        // m0 at T0 (anonymous, merged later); m1, m2, m3 all at T0+1m in that order; m4 at T0+2m.
        await IngestAsync(new Dictionary<string, object?> { ["event"] = "APP_OPENED", ["anonymousId"] = anon, ["timestamp"] = Iso(T0), ["messageId"] = m[0] });
        await IngestAsync(new { type = "identify", userId = user, anonymousId = anon });
        await IngestAsync(Opened(user, T0.AddMinutes(1), m[1]), Opened(user, T0.AddMinutes(1), m[2]));
        await IngestAsync(Opened(user, T0.AddMinutes(1), m[3]), Opened(user, T0.AddMinutes(2), m[4], new { source = "push" }));

        var expected = new[] { m[4], m[3], m[2], m[1], m[0] };
        foreach (var id in new[] { user, anon })
        {
            var seen = new List<string>();
            string? before = null;
            var pages = 0;
            do
            {
                var page = await GetAsync($"/api/people/{id}/events?limit=2" + (before is null ? "" : "&before=" + before));
                seen.AddRange(page.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("messageId").GetString()!));
                before = page.GetProperty("nextBefore").GetString();
                pages++;
            } while (before is not null && pages < 10);
            Assert.Equal(expected, seen);
            Assert.Equal(3, pages);
        }

        var newest = (await GetAsync($"/api/people/{user}/events?limit=1")).GetProperty("events")[0];
        Assert.Equal("APP_OPENED", newest.GetProperty("name").GetString());
        Assert.Equal(T0.AddMinutes(2), newest.GetProperty("timestamp").GetDateTimeOffset());
        Assert.Equal("push", newest.GetProperty("properties").GetProperty("source").GetString());
    }

    [Fact]
    public async Task Person_Flags_AreEvaluatedWithTheStoredTraits_WithTheirReasons()
    {
        var flag = "people_" + Guid.NewGuid().ToString("N")[..12];
        using (var admin = _factory.CreateClient())
        {
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DashboardFactory.AdminKey);
            var body = """{ "enabled": true, "rolloutPercent": 0, "rules": [ { "attribute": "plan", "operator": "in", "values": ["team"], "value": true } ] }""";
            using var put = await admin.PutAsync($"/api/flags/{flag}", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }
        var (team, free) = (NewId("team"), NewId("free"));
        await IngestAsync(new { type = "identify", userId = team, traits = new { plan = "team" } },
            new { type = "identify", userId = free, traits = new { plan = "free" } });

        JsonElement FlagOf(JsonElement person) => person.GetProperty("flags").EnumerateArray().Single(f => f.GetProperty("key").GetString() == flag);
        var targeted = FlagOf(await GetAsync($"/api/people/{team}"));
        Assert.True(targeted.GetProperty("value").GetBoolean());
        Assert.Equal(("on", "TARGETING_MATCH"), (targeted.GetProperty("variant").GetString(), targeted.GetProperty("reason").GetString()));
        // Rollout 0 %: everyone the rule does not decide is off by the split.
        var other = FlagOf(await GetAsync($"/api/people/{free}"));
        Assert.False(other.GetProperty("value").GetBoolean());
        Assert.Equal(("off", "SPLIT"), (other.GetProperty("variant").GetString(), other.GetProperty("reason").GetString()));
    }

    [Theory]
    [InlineData("/api/people?limit=0", "'limit'")]
    [InlineData("/api/people?limit=201", "'limit'")]
    [InlineData("/api/people?limit=ten", "'limit'")]
    [InlineData("/api/people?cursor=not-a-cursor", "'cursor'")]
    [InlineData("/api/people?format=xml", "'format'")]
    [InlineData("/api/people/someone/events?limit=500", "'limit'")]
    [InlineData("/api/people/someone/events?before=%3D%3D", "'before'")]
    public async Task BadParameters_Are400WithTheReason(string path, string named)
    {
        using var reader = _factory.CreateReaderClient();
        using var response = await reader.GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(named, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task UnknownPerson_Is404_ForThePersonAndTheirEvents()
    {
        using var reader = _factory.CreateReaderClient();
        var id = NewId("nobody");
        using var person = await reader.GetAsync($"/api/people/{id}");
        using var events = await reader.GetAsync($"/api/people/{id}/events");
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (person.StatusCode, events.StatusCode));
    }
}
