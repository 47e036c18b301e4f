using System.Text.Json;
using Dashboard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using static Dashboard.Tests.Ingest.IngestTestKit;

namespace Dashboard.Tests.Ingest;

/// <summary>
/// Segment's identify, alias, group, page and screen calls through the real endpoint and writer:
/// what merges, what is refused and why, and what is stored.
/// </summary>
public sealed class IdentityIngestTests(IngestEndpointsFixture fixture) : IClassFixture<IngestEndpointsFixture>
{
    private readonly DashboardFactory _factory = fixture.Factory;

    private async Task<IngestReply> PostAsync(params object[] items)
    {
        using var client = _factory.CreateIngestClient();
        using var response = await client.PostRawAsync("/ingest", JsonSerializer.Serialize(new { batch = items }));
        return await response.ReadReplyAsync();
    }

    private static object Opened(string messageId, string? userId = null, string? anonymousId = null) =>
        new Dictionary<string, object?> { ["event"] = "APP_OPENED", ["messageId"] = messageId, ["userId"] = userId, ["anonymousId"] = anonymousId };

    private static object Identify(string userId, string? anonymousId, object? traits = null) =>
        new Dictionary<string, object?> { ["type"] = "identify", ["userId"] = userId, ["anonymousId"] = anonymousId, ["traits"] = traits };

    private static object Alias(string userId, string? previousId) =>
        new Dictionary<string, object?> { ["type"] = "alias", ["userId"] = userId, ["previousId"] = previousId };

    private long? MergedInto(string key) =>
        Count(_factory.DatabasePath, $"SELECT coalesce((SELECT MergedInto FROM Users WHERE Key = '{key}'), -1)") is var v and >= 0 ? v : null;

    private string? ScalarText(string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_factory.DatabasePath};Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar() as string;
    }

    private long UserId(string key) => Count(_factory.DatabasePath, $"SELECT Id FROM Users WHERE Key = '{key}'");

    [Fact]
    public async Task Identify_WithAnonymousAndUserId_MovesEarlierAndLaterAnonymousEventsToTheUser()
    {
        var (anon, user) = (NewId("anon"), NewId("user"));
        var (before, after, later) = (NewId("m"), NewId("m"), NewId("m"));
        await PostAsync(Opened(before, anonymousId: anon));

        var reply = await PostAsync(Identify(user, anon, new { plan = "pro" }), Opened(after, userId: user));
        Assert.Equal(2, reply.Accepted);
        Assert.Empty(reply.Rejected);
        // An event that still carries only the anonymous id is the user's too.
        await PostAsync(Opened(later, anonymousId: anon));

        Assert.Equal(UserId(user), MergedInto(anon));
        Assert.Equal([before, after, later], _factory.EventsByUser(user).Select(e => e.MessageId));
        Assert.Empty(_factory.EventsByUser(anon));
        Assert.Contains("\"plan\":\"pro\"", _factory.UserTraits(user));
    }

    [Fact]
    public async Task Identify_MergedAnonymousId_IsEvaluatedWithTheUsersStoredTraits()
    {
        var (anon, user) = (NewId("anon"), NewId("user"));
        await PostAsync(Opened(NewId("m"), anonymousId: anon), Identify(user, anon, new { cohort = "beta" }));
        var traits = _factory.Services.GetRequiredService<Dashboard.Flags.StoredTraits>();
        await traits.ReloadAsync();
        Assert.Equal("beta", traits.For(anon)?["cohort"]);
        Assert.Equal("beta", traits.For(user)?["cohort"]);
    }

    [Fact]
    public async Task Identify_BothIdentitiesExposed_KeepsTheEarlierExposureAsTheUsers()
    {
        var (anon, user, experiment) = (NewId("anon"), NewId("user"), NewId("exp"));
        var writer = _factory.Services.GetRequiredService<Dashboard.Ingest.EventWriter>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var exposures = new Dashboard.Ingest.WriteRequest([], [], now,
            [new(experiment, "flag", user, "control", now - 1_000), new(experiment, "flag", anon, "new_flow", now - 5_000)]);
        Assert.True(writer.TryEnqueue(exposures));
        await exposures.Task;

        await PostAsync(Identify(user, anon));

        Assert.Equal($"new_flow {now - 5_000} {UserId(user)}", ScalarText(
            $"SELECT Variant || ' ' || Timestamp || ' ' || UserId FROM Exposures WHERE ExperimentKey = '{experiment}'"));
        Assert.Equal(1, Count(_factory.DatabasePath, $"SELECT count(*) FROM Exposures WHERE ExperimentKey = '{experiment}'"));
    }

    [Fact]
    public async Task Funnel_FromAnAnonymousPageViewToASignUpAfterIdentify_CountsOnePerson()
    {
        var (anon, user, path) = (NewId("anon"), NewId("user"), "/pricing-" + Guid.NewGuid().ToString("N"));
        await PostAsync(new { type = "page", anonymousId = anon, properties = new { path } });
        await PostAsync(Identify(user, anon),
            new { @event = "USER_REGISTERED", userId = user, properties = new { referralSource = "ads", planType = "free" } });

        using var reader = _factory.CreateIngestClient(DashboardFactory.ReadKey);
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd");
        using var response = await reader.GetAsync($"/api/insights/funnel?steps=PAGE[path={Uri.EscapeDataString(path)}],USER_REGISTERED&from={today}&to={today}");
        var steps = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("steps");
        Assert.Equal([1, 1], steps.EnumerateArray().Select(s => s.GetProperty("users").GetInt32()));
    }

    [Fact]
    public async Task Identify_InTheSameBatchAsTheAnonymousEvents_MergesThem()
    {
        var (anon, user, m) = (NewId("anon"), NewId("user"), NewId("m"));
        var reply = await PostAsync(Opened(m, anonymousId: anon), Identify(user, anon));
        Assert.Equal(2, reply.Accepted);
        Assert.Equal(user, _factory.SingleEvent(m).UserKey);
    }

    [Fact]
    public async Task Identify_AnAnonymousIdAlreadyMergedIntoAnotherUser_IsRefusedPerItemAndKeepsTheFirstMerge()
    {
        var (anon, first, second, m) = (NewId("anon"), NewId("user"), NewId("user"), NewId("m"));
        await PostAsync(Opened(m, anonymousId: anon), Identify(first, anon));

        var reply = await PostAsync(Opened(NewId("m"), userId: second), Identify(second, anon, new { plan = "team" }));

        var refused = Assert.Single(reply.Rejected);
        Assert.Equal((1, "merge_refused"), (refused.Index, refused.Code));
        Assert.Contains("already merged into another user", refused.Error);
        Assert.Contains("traits were stored", refused.Error);
        Assert.Equal(1, reply.Accepted);
        Assert.Equal(first, _factory.SingleEvent(m).UserKey);
        Assert.Equal(UserId(first), MergedInto(anon));
        Assert.Contains("team", _factory.UserTraits(second));
    }

    [Fact]
    public async Task Identify_AgainWithTheSameIds_IsAcceptedAndChangesNothing()
    {
        var (anon, user, m) = (NewId("anon"), NewId("user"), NewId("m"));
        await PostAsync(Opened(m, anonymousId: anon), Identify(user, anon));
        var reply = await PostAsync(Identify(user, anon));
        Assert.Equal((1, 0), (reply.Accepted, reply.Rejected.Count));
        Assert.Equal(user, _factory.SingleEvent(m).UserKey);
    }

    [Fact]
    public async Task Alias_MergesTheAnonymousPreviousIdButNeverTwoKnownUserIds()
    {
        var (anon, user, other) = (NewId("anon"), NewId("user"), NewId("user"));
        var (m1, m2) = (NewId("m"), NewId("m"));
        await PostAsync(Opened(m1, anonymousId: anon), Opened(m2, userId: other));

        var reply = await PostAsync(Alias(user, anon), Alias(user, other));

        Assert.Equal(1, reply.Accepted);
        var refused = Assert.Single(reply.Rejected);
        Assert.Equal((1, "merge_refused"), (refused.Index, refused.Code));
        Assert.Contains("two userIds are never merged", refused.Error);
        Assert.Equal(user, _factory.SingleEvent(m1).UserKey);
        Assert.Equal(other, _factory.SingleEvent(m2).UserKey);
        Assert.Null(MergedInto(other));
    }

    [Fact]
    public async Task Identify_ThatNamesAKnownUserIdAsItsAnonymousId_IsRefused()
    {
        var (known, user, m) = (NewId("user"), NewId("user"), NewId("m"));
        await PostAsync(Opened(m, userId: known));
        var reply = await PostAsync(Identify(user, known));
        Assert.Equal("merge_refused", Assert.Single(reply.Rejected).Code);
        Assert.Equal(known, _factory.SingleEvent(m).UserKey);
    }

    [Fact]
    public async Task Alias_WithoutPreviousIdOrUserId_IsRejectedAndQuarantined()
    {
        var marker = NewId("alias");
        var reply = await PostAsync(Alias(marker, null),
            new Dictionary<string, object?> { ["type"] = "alias", ["anonymousId"] = marker, ["previousId"] = "x" });
        Assert.Equal(["missing_previous_id", "missing_identity"], reply.Rejected.Select(r => r.Code));
        Assert.Equal(2, _factory.QuarantineContaining(marker).Count);
    }

    [Fact]
    public async Task Group_StoresTheAccountsTraitsAndTheUsersAccount()
    {
        var (user, account) = (NewId("user"), NewId("acme"));
        await PostAsync(new { type = "group", userId = user, groupId = account, traits = new { plan = "enterprise", seats = 40 } });
        await PostAsync(new { type = "group", userId = user, groupId = account, traits = new { seats = 45 } });

        Assert.Equal("{\"plan\":\"enterprise\",\"seats\":45}",
            Count(_factory.DatabasePath, $"SELECT count(*) FROM Accounts WHERE Key = '{account}'") == 1
                ? ScalarText($"SELECT Traits FROM Accounts WHERE Key = '{account}'") : null);
        Assert.Equal(Count(_factory.DatabasePath, $"SELECT Id FROM Accounts WHERE Key = '{account}'"),
            Count(_factory.DatabasePath, $"SELECT AccountId FROM Users WHERE Key = '{user}'"));

        var reply = await PostAsync(new { type = "group", userId = user });
        Assert.Equal("missing_group_id", Assert.Single(reply.Rejected).Code);
    }

    [Fact]
    public async Task PageAndScreen_AreStoredAsThePageAndScreenEventsWithTheirName()
    {
        var (page, screen) = (NewId("page"), NewId("screen"));
        var reply = await PostAsync(
            new { type = "page", anonymousId = NewId("anon"), messageId = page, name = "Pricing", properties = new { path = "/pricing", url = "https://example.com/pricing" } },
            new { type = "screen", userId = NewId("user"), messageId = screen, name = "Home" });
        Assert.Equal(2, reply.Accepted);

        var stored = _factory.SingleEvent(page);
        Assert.Equal("PAGE", stored.Name);
        var props = JsonDocument.Parse(stored.Properties).RootElement;
        Assert.Equal(("Pricing", "/pricing"), (props.GetProperty("name").GetString(), props.GetProperty("path").GetString()));
        Assert.Equal("SCREEN", _factory.SingleEvent(screen).Name);

        // The built-in properties are typed: a number for path is refused.
        var wrong = await PostAsync(new { type = "page", userId = "u", messageId = NewId("page"), properties = new { path = 3 } });
        Assert.Equal("wrong_property_type", Assert.Single(wrong.Rejected).Code);
    }
}

public sealed class PersonEndpointTests(IngestEndpointsFixture fixture) : IClassFixture<IngestEndpointsFixture>
{
    private readonly DashboardFactory _factory = fixture.Factory;

    [Fact]
    public async Task Person_ShowsTheMergedIdsAndAccount_AndAMergedIdFindsItsUser()
    {
        var (user, anon1, anon2, account) = (NewId("user"), NewId("anon"), NewId("anon"), NewId("acme"));
        using (var ingest = _factory.CreateIngestClient())
        {
            var body = JsonSerializer.Serialize(new
            {
                batch = new object[]
                {
                    new { @event = "APP_OPENED", anonymousId = anon1 },
                    new { type = "identify", userId = user, anonymousId = anon1, traits = new { plan = "pro" } },
                    new { type = "alias", userId = user, previousId = anon2 },
                    new { type = "group", userId = user, groupId = account, traits = new { industry = "retail" } },
                    new { @event = "APP_OPENED", userId = user },
                },
            });
            Assert.Empty((await (await ingest.PostRawAsync("/ingest", body)).ReadReplyAsync()).Rejected);
        }
        using var reader = _factory.CreateIngestClient(DashboardFactory.ReadKey);
        foreach (var id in new[] { user, anon2 })
        {
            using var response = await reader.GetAsync($"/api/people/{id}");
            var person = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(user, person.GetProperty("id").GetString());
            Assert.Equal(new[] { anon1, anon2 }.Order(), person.GetProperty("mergedIds").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal("pro", person.GetProperty("traits").GetProperty("plan").GetString());
            Assert.Equal(account, person.GetProperty("account").GetProperty("id").GetString());
            Assert.Equal(2, person.GetProperty("events").GetInt64());
        }
        using var missing = await reader.GetAsync("/api/people/" + NewId("nobody"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
    }
}
