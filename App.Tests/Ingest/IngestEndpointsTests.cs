using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dashboard.Tests.TestSupport;
using static Dashboard.Tests.Ingest.IngestTestKit;

namespace Dashboard.Tests.Ingest;

/// <summary>One application and database for the whole class; every test uses its own ids.</summary>
public sealed class IngestEndpointsFixture : IAsyncLifetime
{
    public DashboardFactory Factory { get; } = new();

    public Task InitializeAsync()
    {
        Factory.Started();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}

public sealed class IngestEndpointsTests(IngestEndpointsFixture fixture) : IClassFixture<IngestEndpointsFixture>
{
    private readonly DashboardFactory _factory = fixture.Factory;

    private static string Batch(params object[] items) => JsonSerializer.Serialize(new { batch = items });

    private async Task<IngestReply> IngestAsync(string json, string path = "/ingest")
    {
        using var client = _factory.CreateIngestClient();
        using var response = await client.PostRawAsync(path, json);
        return await response.ReadReplyAsync();
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        var body = JsonDocument.Parse(text).RootElement;
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("error").GetString()));
    }

    [Theory]
    [InlineData("userId", 257, "the batch's userId is longer than 256 characters")]
    [InlineData("anonymousId", 257, "the batch's anonymousId is longer than 256 characters")]
    [InlineData("sentAt", 0, "the batch's sentAt is not an ISO-8601 date and time string")]
    public async Task Ingest_BatchLevelFieldNoItemCouldPass_Is400AndQuarantinesNothing(string field, int length, string error)
    {
        var marker = NewId("batchfield");
        var batch = new Dictionary<string, object?>
        {
            ["batch"] = new[] { new Dictionary<string, object?> { ["event"] = "NO_SUCH_EVENT", ["messageId"] = marker } },
            [field] = length > 0 ? new string('x', length) : "last tuesday",
        };
        using var client = _factory.CreateIngestClient();

        using var response = await client.PostObjectAsync("/ingest", batch);

        await AssertErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(error, await response.Content.ReadAsStringAsync());
        Assert.Empty(_factory.QuarantineContaining(marker));
    }

    [Fact]
    public async Task Ingest_BatchIdFoldedIntoManyRejectedItems_QuarantineKeepsAtMostTheBodyLimitAndARowPerItem()
    {
        const int maxBody = 20_000;
        await using var factory = new DashboardFactory(new Dictionary<string, string?> { ["Ingest:MaxBodyBytes"] = maxBody.ToString() }).Started();
        var name = "NO_SUCH_" + Guid.NewGuid().ToString("N").ToUpperInvariant();
        // 100 small items, each quarantined with the batch's 256-character userId: about 35,000 characters.
        var items = Enumerable.Range(0, 100).Select(i => new Dictionary<string, object?> { ["event"] = name, ["messageId"] = $"{name}-{i}" }).ToArray();
        using var client = factory.CreateIngestClient();

        using var response = await client.PostObjectAsync("/ingest", new { batch = items, userId = new string('u', 256) });

        var reply = await response.ReadReplyAsync();
        Assert.Equal(100, reply.Rejected.Count);
        var where = $"FROM Quarantine WHERE EventName = '{name}'";
        Assert.Equal(100, Count(factory.DatabasePath, "SELECT count(*) " + where));
        Assert.InRange(Count(factory.DatabasePath, "SELECT sum(length(Payload)) " + where), maxBody - 400, maxBody);
        // Nothing lost: the first items whole (with the batch's userId), the others cut, and their reason says why.
        var whole = Count(factory.DatabasePath, "SELECT count(*) " + where + " AND json_valid(Payload) AND instr(Payload, 'uuuu') > 0");
        var cut = Count(factory.DatabasePath, "SELECT count(*) " + where + $" AND Reason LIKE '%the quarantine keeps at most {maxBody} characters of one request)'");
        Assert.InRange(whole, 40, 60);
        Assert.Equal(100, whole + cut);
    }

    // ---- 200 and the shape of the answer ----

    [Fact]
    public async Task Post_ValidBatch_Returns200WithAcceptedCountAndStoresEvents()
    {
        var ids = Enumerable.Range(0, 3).Select(_ => NewId("ok")).ToArray();
        using var client = _factory.CreateIngestClient();
        using var response = await client.PostRawAsync("/ingest", Batch(ids.Select(id => Feature(id)).ToArray()));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(3, body.GetProperty("accepted").GetInt32());
        Assert.Equal(0, body.GetProperty("duplicates").GetInt32());
        Assert.Equal(0, body.GetProperty("rejected").GetArrayLength());
        foreach (var id in ids)
        {
            var e = _factory.SingleEvent(id);
            Assert.Equal("FEATURE_ENGAGED", e.Name);
            Assert.Equal("user-" + id, e.UserKey);
            Assert.Equal("search", JsonDocument.Parse(e.Properties).RootElement.GetProperty("featureName").GetString());
        }
    }

    [Fact]
    public async Task Post_MixedBatch_ReportsEachRejectedItemWithIndexErrorAndCode()
    {
        var good1 = NewId("mixed");
        var unknown = NewId("mixed");
        var good2 = NewId("mixed");
        var missing = NewId("mixed");
        var json = Batch(
            Feature(good1),
            new { @event = "NO_SUCH_EVENT", userId = "u-" + unknown, messageId = unknown },
            Feature(good2),
            new { @event = "PROJECT_CREATED", userId = "u-" + missing, messageId = missing, properties = new { projectId = "p1" } });

        using var client = _factory.CreateIngestClient();
        using var response = await client.PostRawAsync("/ingest", json);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(2, body.GetProperty("accepted").GetInt32());
        Assert.Equal(0, body.GetProperty("duplicates").GetInt32());
        var rejected = body.GetProperty("rejected").EnumerateArray().ToList();
        Assert.Equal(2, rejected.Count);
        Assert.Equal(1, rejected[0].GetProperty("index").GetInt32());
        Assert.Equal("unknown_event", rejected[0].GetProperty("code").GetString());
        Assert.Contains("NO_SUCH_EVENT", rejected[0].GetProperty("error").GetString());
        Assert.Equal(3, rejected[1].GetProperty("index").GetInt32());
        Assert.Equal("missing_property", rejected[1].GetProperty("code").GetString());
        Assert.Contains("templateUsed", rejected[1].GetProperty("error").GetString());

        Assert.Single(_factory.EventsByMessageId(good1));
        Assert.Single(_factory.EventsByMessageId(good2));
        Assert.Empty(_factory.EventsByMessageId(unknown));
        Assert.Empty(_factory.EventsByMessageId(missing));
        Assert.StartsWith("unknown_event", Assert.Single(_factory.QuarantineContaining(unknown)).Reason);
        Assert.StartsWith("missing_property", Assert.Single(_factory.QuarantineContaining(missing)).Reason);
    }

    [Fact]
    public async Task Post_NonObjectItemInBatch_IsRejectedAloneAndQuarantined()
    {
        var marker = NewId("not-an-object");
        var good = NewId("beside");

        var reply = await IngestAsync(JsonSerializer.Serialize(new { batch = new object[] { marker, Feature(good) } }));

        Assert.Equal(1, reply.Accepted);
        Assert.Equal((0, "not_an_object"), (Assert.Single(reply.Rejected).Index, reply.Rejected[0].Code));
        _factory.SingleEvent(good);
        var row = Assert.Single(_factory.QuarantineContaining(marker));
        Assert.Null(row.EventName);
        Assert.Equal(JsonSerializer.Serialize(marker), row.Payload);
    }

    // ---- 400 ----

    [Theory]
    [InlineData("{\"event\": \"FEATURE_ENGAGED\", \"userId\": ")]
    [InlineData("not json at all")]
    [InlineData("")]
    public async Task Post_MalformedJson_Returns400(string body)
    {
        using var client = _factory.CreateIngestClient();
        using var response = await client.PostRawAsync("/ingest", body);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("[{\"event\": \"FEATURE_ENGAGED\"}]")]
    [InlineData("\"FEATURE_ENGAGED\"")]
    [InlineData("42")]
    [InlineData("null")]
    public async Task Post_NonObjectBody_Returns400(string body)
    {
        using var client = _factory.CreateIngestClient();
        using var response = await client.PostRawAsync("/ingest", body);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Post_EmptyBatch_Returns400()
    {
        using var client = _factory.CreateIngestClient();
        using var response = await client.PostRawAsync("/ingest", "{\"batch\": [], \"userId\": \"someone\"}");
        await AssertErrorAsync(response, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("{\"batch\": {\"event\": \"FEATURE_ENGAGED\"}}")]
    [InlineData("{\"batch\": \"FEATURE_ENGAGED\"}")]
    [InlineData("{\"batch\": null}")]
    public async Task Post_BatchNotAnArray_Returns400(string body)
    {
        using var client = _factory.CreateIngestClient();
        using var response = await client.PostRawAsync("/ingest", body);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest);
    }

    // ---- 401 and the three ways to give a key ----

    [Fact]
    public async Task Post_NoKey_Returns401AndStoresNothing()
    {
        var id = NewId("nokey");
        using var client = _factory.CreateIngestClient(key: null);
        using var response = await client.PostRawAsync("/ingest", Batch(Feature(id)));
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized);
        Assert.Empty(_factory.EventsByMessageId(id));
        Assert.Empty(_factory.QuarantineContaining(id));
    }

    [Fact]
    public async Task Post_WrongBearerKey_Returns401AndStoresNothing()
    {
        var id = NewId("badbearer");
        using var client = _factory.CreateIngestClient(key: "wk_not_a_key");
        using var response = await client.PostRawAsync("/ingest", Batch(Feature(id)));
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized);
        Assert.Empty(_factory.EventsByMessageId(id));
    }

    [Fact]
    public async Task Post_WrongBasicUsername_Returns401AndStoresNothing()
    {
        var id = NewId("badbasic");
        using var client = _factory.CreateIngestClient(key: null);
        client.DefaultRequestHeaders.Authorization = Basic("wk_not_a_key");
        using var response = await client.PostRawAsync("/v1/batch", Batch(Feature(id)));
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized);
        Assert.Empty(_factory.EventsByMessageId(id));
    }

    [Fact]
    public async Task Post_WrongBodyWriteKey_Returns401AndStoresNothing()
    {
        var id = NewId("badbody");
        using var client = _factory.CreateIngestClient(key: null);
        using var response = await client.PostObjectAsync("/ingest", new { batch = new[] { Feature(id) }, writeKey = "wk_not_a_key" });
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized);
        Assert.Empty(_factory.EventsByMessageId(id));
    }

    [Theory]
    [InlineData(DashboardFactory.ReadKey)]
    [InlineData(DashboardFactory.ClientKey)]
    [InlineData(DashboardFactory.AdminKey)]
    public async Task Post_KeyOfAnotherRole_Returns401InEveryPlace(string key)
    {
        var bearer = NewId("role");
        using (var client = _factory.CreateIngestClient(key))
        using (var response = await client.PostRawAsync("/ingest", Batch(Feature(bearer))))
            await AssertErrorAsync(response, HttpStatusCode.Unauthorized);

        var basic = NewId("role");
        using (var client = _factory.CreateIngestClient(key: null))
        {
            client.DefaultRequestHeaders.Authorization = Basic(key);
            using var response = await client.PostRawAsync("/v1/batch", Batch(Feature(basic)));
            await AssertErrorAsync(response, HttpStatusCode.Unauthorized);
        }

        var body = NewId("role");
        using (var client = _factory.CreateIngestClient(key: null))
        using (var response = await client.PostObjectAsync("/ingest", new { batch = new[] { Feature(body) }, writeKey = key }))
            await AssertErrorAsync(response, HttpStatusCode.Unauthorized);

        Assert.Empty(_factory.EventsByMessageId(bearer));
        Assert.Empty(_factory.EventsByMessageId(basic));
        Assert.Empty(_factory.EventsByMessageId(body));
    }

    [Fact]
    public async Task Post_WriteKeyAsBasicUsername_IsAccepted()
    {
        var id = NewId("basic");
        using var client = _factory.CreateIngestClient(key: null);
        client.DefaultRequestHeaders.Authorization = Basic(DashboardFactory.WriteKey);
        using var response = await client.PostRawAsync("/ingest", Batch(Feature(id)));
        Assert.Equal(1, (await response.ReadReplyAsync()).Accepted);
        _factory.SingleEvent(id);
    }

    [Fact]
    public async Task Post_WriteKeyInBody_IsAccepted()
    {
        var id = NewId("bodykey");
        using var client = _factory.CreateIngestClient(key: null);
        using var response = await client.PostObjectAsync("/ingest", new { batch = new[] { Feature(id) }, writeKey = DashboardFactory.WriteKey });
        Assert.Equal(1, (await response.ReadReplyAsync()).Accepted);
        _factory.SingleEvent(id);
    }

    // ---- 413 ----

    /// <summary>A batch of valid events whose JSON is close to <paramref name="bytes"/> long.</summary>
    private static (string Json, string UserId) LargeBatch(int bytes)
    {
        var userId = NewId("large");
        var filler = new string('x', 1400);
        var items = new JsonArray();
        var body = new JsonObject { ["userId"] = userId, ["batch"] = items };
        while (Encoding.UTF8.GetByteCount(body.ToJsonString()) < bytes)
            items.Add(new JsonObject
            {
                ["event"] = "FEATURE_ENGAGED",
                ["messageId"] = NewId("large"),
                ["properties"] = new JsonObject { ["featureName"] = "bulk", ["clickTarget"] = filler },
            });
        return (body.ToJsonString(), userId);
    }

    [Fact]
    public async Task Post_BodyJustUnderLimit_IsAccepted()
    {
        var (json, userId) = LargeBatch(480 * 1024);
        Assert.InRange(Encoding.UTF8.GetByteCount(json), 480 * 1024, 500 * 1024);
        var count = JsonNode.Parse(json)!["batch"]!.AsArray().Count;

        var reply = await IngestAsync(json);

        Assert.Equal(count, reply.Accepted);
        Assert.Equal(count, _factory.EventsByUser(userId).Count);
    }

    [Fact]
    public async Task Post_BodyOverLimitWithContentLength_Returns413AndStoresNothing()
    {
        var (json, userId) = LargeBatch(520 * 1024);
        using var client = _factory.CreateIngestClient();
        using var content = Json(json);
        Assert.NotNull(content.Headers.ContentLength);

        using var response = await client.PostAsync("/ingest", content);

        await AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Empty(_factory.EventsByUser(userId));
    }

    [Fact]
    public async Task Post_MoreThan10000Items_Returns413AndQuarantinesNothing()
    {
        var marker = NewId("many");
        var items = Enumerable.Range(0, 10_001).Select(_ => new Dictionary<string, object?> { ["m"] = marker }).ToArray();
        using var client = _factory.CreateIngestClient();

        using var response = await client.PostRawAsync("/ingest", Batch(items));

        await AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("10000", await response.Content.ReadAsStringAsync());
        Assert.Empty(_factory.QuarantineContaining(marker));
    }

    [Fact]
    public async Task Post_WrongHeaderKeyWithOversizeBody_Returns401BeforeReadingIt()
    {
        var (json, userId) = LargeBatch(520 * 1024);
        using var client = _factory.CreateIngestClient("wk_not_a_key");

        using var response = await client.PostAsync("/ingest", Json(json));

        await AssertErrorAsync(response, HttpStatusCode.Unauthorized);
        Assert.Empty(_factory.EventsByUser(userId));
    }

    [Fact]
    public async Task Post_ChunkedBodyOverLimit_Returns413AndStoresNothing()
    {
        var (json, userId) = LargeBatch(520 * 1024);
        using var client = _factory.CreateIngestClient();
        using var content = new ChunkedContent(Encoding.UTF8.GetBytes(json));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/ingest") { Content = content };
        Assert.Null(request.Content.Headers.ContentLength);

        using var response = await client.SendAsync(request);

        await AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Empty(_factory.EventsByUser(userId));
    }

    [Fact]
    public async Task Post_ChunkedBodyUnderLimit_IsAccepted()
    {
        var id = NewId("chunked");
        using var client = _factory.CreateIngestClient();
        using var content = new ChunkedContent(Encoding.UTF8.GetBytes(Batch(Feature(id))));
        using var response = await client.PostAsync("/ingest", content);
        Assert.Equal(1, (await response.ReadReplyAsync()).Accepted);
        _factory.SingleEvent(id);
    }

    /// <summary>A body sent in pieces without a Content-Length (chunked transfer).</summary>
    private sealed class ChunkedContent(byte[] bytes) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var offset = 0; offset < bytes.Length; offset += 8192)
                await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(8192, bytes.Length - offset)));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    // ---- identity ----

    [Fact]
    public async Task Post_NeitherUserIdNorAnonymousId_RejectsAndQuarantines()
    {
        var id = NewId("noid");
        var item = Feature(id);
        item.Remove("userId");

        var reply = await IngestAsync(Batch(item));

        Assert.Equal(0, reply.Accepted);
        var rejection = Assert.Single(reply.Rejected);
        Assert.Equal((0, "missing_identity"), (rejection.Index, rejection.Code));
        Assert.Empty(_factory.EventsByMessageId(id));
        var row = Assert.Single(_factory.QuarantineContaining(id));
        Assert.Equal("FEATURE_ENGAGED", row.EventName);
        Assert.StartsWith("missing_identity", row.Reason);
    }

    [Fact]
    public async Task Post_AnonymousIdOnly_IsStoredUnderTheAnonymousId()
    {
        var id = NewId("anon");
        var anonymousId = NewId("anon-user");
        var item = Feature(id);
        item.Remove("userId");
        item["anonymousId"] = anonymousId;

        var reply = await IngestAsync(Batch(item));

        Assert.Equal(1, reply.Accepted);
        Assert.Empty(reply.Rejected);
        Assert.Equal(anonymousId, _factory.SingleEvent(id).UserKey);
    }

    [Fact]
    public async Task Post_BatchLevelUserId_AppliesToItemsWithoutTheirOwn()
    {
        var batchUser = NewId("batch-user");
        var ownUser = NewId("own-user");
        var inherits = NewId("inherit");
        var own = NewId("own");
        var a = Feature(inherits);
        a.Remove("userId");
        var b = Feature(own, userId: ownUser);

        var reply = await IngestAsync(JsonSerializer.Serialize(new { batch = new[] { a, b }, userId = batchUser }));

        Assert.Equal(2, reply.Accepted);
        Assert.Equal(batchUser, _factory.SingleEvent(inherits).UserKey);
        Assert.Equal(ownUser, _factory.SingleEvent(own).UserKey);
    }

    // ---- taxonomy ----

    public static TheoryData<string, string, string> TaxonomyViolations => new()
    {
        { "CHECKOUT_STARTED", """{"cart":"c1"}""", "unknown_event" },
        { "USER_REGISTERED", """{"planType":"free"}""", "missing_property" },
        { "USER_REGISTERED", """{"referralSource":null,"planType":"free"}""", "missing_property" },
        { "USER_REGISTERED", """{"referralSource":42,"planType":"free"}""", "wrong_property_type" },
        { "FEATURE_ENGAGED", """{"featureName":true,"clickTarget":"b"}""", "wrong_property_type" },
        { "USER_REGISTERED", """{"referralSource":"ads","planType":"gold"}""", "value_not_in_enum" },
        { "USER_REGISTERED", """{"referralSource":"ads","planType":"Premium"}""", "value_not_in_enum" },
        { "APP_OPENED", """{"platform":"windows"}""", "value_not_in_enum" },
    };

    [Theory]
    [MemberData(nameof(TaxonomyViolations))]
    public async Task Post_EventBreakingTheTaxonomy_IsRejectedWithItsCodeAndQuarantinedWithPayload(string name, string properties, string code)
    {
        var id = NewId("tax");
        var userId = NewId("tax-user");
        var json = $$"""{"batch":[{"event":"{{name}}","userId":"{{userId}}","messageId":"{{id}}","properties":{{properties}}}]}""";

        var reply = await IngestAsync(json);

        Assert.Equal(0, reply.Accepted);
        var rejection = Assert.Single(reply.Rejected);
        Assert.Equal(0, rejection.Index);
        Assert.Equal(code, rejection.Code);
        Assert.False(string.IsNullOrWhiteSpace(rejection.Error));
        Assert.Empty(_factory.EventsByMessageId(id));

        var row = Assert.Single(_factory.QuarantineContaining(id));
        Assert.Equal(name, row.EventName);
        Assert.Equal($"{code}: {rejection.Error}", row.Reason);
        var payload = JsonNode.Parse(row.Payload)!;
        Assert.Equal(userId, (string?)payload["userId"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(properties), payload["properties"]));
    }

    [Theory]
    [InlineData("USER_REGISTERED", """{"referralSource":"ads","planType":"free"}""")]
    [InlineData("USER_REGISTERED", """{"referralSource":"ads","planType":"premium","extra":[1,2]}""")]
    [InlineData("APP_OPENED", """{}""")]
    [InlineData("APP_OPENED", """{"platform":"ios"}""")]
    public async Task Post_EventMatchingTheTaxonomy_IsAccepted(string name, string properties)
    {
        var id = NewId("taxok");
        var json = $$"""{"batch":[{"event":"{{name}}","userId":"{{id}}","messageId":"{{id}}","properties":{{properties}}}]}""";

        var reply = await IngestAsync(json);

        Assert.Equal(1, reply.Accepted);
        Assert.Empty(reply.Rejected);
        Assert.Equal(name, _factory.SingleEvent(id).Name);
    }

    // ---- size of one event ----

    [Fact]
    public async Task Post_OversizeEvent_IsRejectedAloneAndTheRestOfTheBatchIsAccepted()
    {
        var before = NewId("size");
        var big = NewId("size");
        var after = NewId("size");
        var bigItem = Feature(big);
        bigItem["properties"] = new Dictionary<string, object?> { ["featureName"] = "search", ["clickTarget"] = new string('y', 33 * 1024) };

        var reply = await IngestAsync(Batch(Feature(before), bigItem, Feature(after)));

        Assert.Equal(2, reply.Accepted);
        var rejection = Assert.Single(reply.Rejected);
        Assert.Equal((1, "event_too_large"), (rejection.Index, rejection.Code));
        _factory.SingleEvent(before);
        _factory.SingleEvent(after);
        Assert.Empty(_factory.EventsByMessageId(big));
        // The quarantine keeps the event's first 32 KB, enough to see what it was, not the whole of it.
        var row = Assert.Single(_factory.QuarantineContaining(big));
        Assert.StartsWith("event_too_large", row.Reason);
        Assert.Contains("payload cut to its first 32768 of", row.Reason);
        Assert.Equal(32 * 1024, row.Payload.Length);
        Assert.StartsWith(JsonSerializer.Serialize(bigItem)[..100], row.Payload);
    }

    [Fact]
    public async Task Post_EventJustUnder32KB_IsAccepted()
    {
        var id = NewId("size-ok");
        var item = Feature(id);
        item["properties"] = new Dictionary<string, object?> { ["featureName"] = "search", ["clickTarget"] = new string('y', 31 * 1024) };

        var reply = await IngestAsync(Batch(item));

        Assert.Equal(1, reply.Accepted);
        Assert.Empty(reply.Rejected);
        _factory.SingleEvent(id);
    }

    // ---- deduplication ----

    [Fact]
    public async Task Post_SameMessageIdTwiceInOneRequest_CountsADuplicateAndStoresOnce()
    {
        var id = NewId("dup");
        var reply = await IngestAsync(Batch(Feature(id, feature: "first"), Feature(id, feature: "second")));

        Assert.Equal(1, reply.Accepted);
        Assert.Equal(1, reply.Duplicates);
        Assert.Empty(reply.Rejected);
        var stored = _factory.SingleEvent(id);
        Assert.Equal("first", JsonDocument.Parse(stored.Properties).RootElement.GetProperty("featureName").GetString());
    }

    [Fact]
    public async Task Post_SameMessageIdInTwoRequests_CountsADuplicateAndStoresOnce()
    {
        var id = NewId("dup2");
        var first = await IngestAsync(Batch(Feature(id)));
        var second = await IngestAsync(Batch(Feature(id)));

        Assert.Equal((1, 0), (first.Accepted, first.Duplicates));
        Assert.Equal((0, 1), (second.Accepted, second.Duplicates));
        Assert.Empty(second.Rejected);
        _factory.SingleEvent(id);
    }

    [Fact]
    public async Task Post_MissingMessageId_GetsAServerAssignedOne()
    {
        var userId = NewId("nomsg");
        var item = Feature("unused", userId: userId);
        item.Remove("messageId");

        var first = await IngestAsync(Batch(item));
        var second = await IngestAsync(Batch(item));

        Assert.Equal((1, 0), (first.Accepted, first.Duplicates));
        Assert.Equal((1, 0), (second.Accepted, second.Duplicates));
        var stored = _factory.EventsByUser(userId);
        Assert.Equal(2, stored.Count);
        Assert.All(stored, e => Assert.False(string.IsNullOrWhiteSpace(e.MessageId)));
        Assert.NotEqual(stored[0].MessageId, stored[1].MessageId);
    }

    // ---- timestamps ----

    [Fact]
    public async Task Post_MissingTimestamp_StoresTheReceiveTime()
    {
        var id = NewId("nots");
        var before = NowMs();
        await IngestAsync(Batch(Feature(id)));
        var after = NowMs();

        var e = _factory.SingleEvent(id);
        Assert.InRange(e.Timestamp, before.ToUnixTimeMilliseconds(), after.ToUnixTimeMilliseconds());
        Assert.Equal(e.ReceivedAt, e.Timestamp);
    }

    [Fact]
    public async Task Post_TimestampWithoutSentAt_IsStoredAsGiven()
    {
        var id = NewId("ts");
        var at = NowMs().AddDays(-3).AddMilliseconds(-123);
        var item = Feature(id);
        item["timestamp"] = Iso(at);

        await IngestAsync(Batch(item));

        Assert.Equal(at.ToUnixTimeMilliseconds(), _factory.SingleEvent(id).Timestamp);
    }

    [Theory]
    [InlineData(3 * 24 * 3600.0, 600.0)]     // client clock three days ahead, event ten minutes before sending
    [InlineData(-5 * 3600.0, 30.0)]          // client clock five hours behind
    [InlineData(-400 * 24 * 3600.0, 2.5)]    // client clock far in the past, beyond the retention window
    public async Task Post_SkewedClockWithBatchSentAt_CorrectsTheTimestamp(double skewSeconds, double ageSeconds)
    {
        var id = NewId("skew");
        var clientNow = NowMs().AddSeconds(skewSeconds);
        var item = Feature(id);
        item["timestamp"] = Iso(clientNow.AddSeconds(-ageSeconds));
        var json = JsonSerializer.Serialize(new { batch = new[] { item }, sentAt = Iso(clientNow) });

        var before = NowMs();
        var reply = await IngestAsync(json);
        var after = NowMs();

        Assert.Equal(1, reply.Accepted);
        var stored = _factory.SingleEvent(id);
        // timestamp = receivedAt - (sentAt - timestamp), and receivedAt lies between before and after.
        var ageMs = (long)(ageSeconds * 1000);
        Assert.Equal(stored.ReceivedAt - ageMs, stored.Timestamp);
        var toleranceMs = 2000;
        Assert.InRange(stored.Timestamp, before.ToUnixTimeMilliseconds() - ageMs - toleranceMs, after.ToUnixTimeMilliseconds() - ageMs + toleranceMs);
    }

    [Fact]
    public async Task Post_SkewedClockWithSentAtOnASingleEvent_CorrectsTheTimestamp()
    {
        var id = NewId("skew1");
        var clientNow = NowMs().AddHours(-7);
        var item = Feature(id);
        item["timestamp"] = Iso(clientNow.AddMinutes(-2));
        item["sentAt"] = Iso(clientNow);

        var before = NowMs();
        var reply = await IngestAsync(JsonSerializer.Serialize(item));
        var after = NowMs();

        Assert.Equal(1, reply.Accepted);
        var stored = _factory.SingleEvent(id);
        Assert.InRange(stored.Timestamp, before.AddMinutes(-2).AddSeconds(-2).ToUnixTimeMilliseconds(), after.AddMinutes(-2).AddSeconds(2).ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task Post_TimestampMoreThanAnHourInTheFuture_IsRejected()
    {
        var late = NewId("future");
        var fine = NewId("future-ok");
        var lateItem = Feature(late);
        lateItem["timestamp"] = Iso(NowMs().AddMinutes(65));
        var fineItem = Feature(fine);
        fineItem["timestamp"] = Iso(NowMs().AddMinutes(50));

        var reply = await IngestAsync(Batch(lateItem, fineItem));

        Assert.Equal(1, reply.Accepted);
        var rejection = Assert.Single(reply.Rejected);
        Assert.Equal((0, "timestamp_in_future"), (rejection.Index, rejection.Code));
        Assert.Empty(_factory.EventsByMessageId(late));
        _factory.SingleEvent(fine);
        Assert.StartsWith("timestamp_in_future", Assert.Single(_factory.QuarantineContaining(late)).Reason);
    }

    [Fact]
    public async Task Post_TimestampOlderThanMaxAgeDays_IsRejected()
    {
        var old = NewId("old");
        var fine = NewId("old-ok");
        var oldItem = Feature(old);
        oldItem["timestamp"] = Iso(NowMs().AddDays(-366));
        var fineItem = Feature(fine);
        fineItem["timestamp"] = Iso(NowMs().AddDays(-364));

        var reply = await IngestAsync(Batch(oldItem, fineItem));

        Assert.Equal(1, reply.Accepted);
        var rejection = Assert.Single(reply.Rejected);
        Assert.Equal((0, "timestamp_too_old"), (rejection.Index, rejection.Code));
        Assert.Empty(_factory.EventsByMessageId(old));
        _factory.SingleEvent(fine);
        Assert.StartsWith("timestamp_too_old", Assert.Single(_factory.QuarantineContaining(old)).Reason);
    }

    [Theory]
    [InlineData("\"yesterday\"")]
    [InlineData("\"2024-13-45T99:00:00Z\"")]
    [InlineData("1700000000000")]
    [InlineData("true")]
    public async Task Post_UnparseableTimestamp_IsRejected(string timestamp)
    {
        var id = NewId("badts");
        var json = $$$"""{"batch":[{"event":"FEATURE_ENGAGED","userId":"{{{id}}}","messageId":"{{{id}}}","timestamp":{{{timestamp}}},"properties":{"featureName":"f","clickTarget":"c"}}]}""";

        var reply = await IngestAsync(json);

        Assert.Equal(0, reply.Accepted);
        Assert.Equal("invalid_timestamp", Assert.Single(reply.Rejected).Code);
        Assert.Empty(_factory.EventsByMessageId(id));
        Assert.StartsWith("invalid_timestamp", Assert.Single(_factory.QuarantineContaining(id)).Reason);
    }

    // ---- identify ----

    [Fact]
    public async Task Post_IdentifyCalls_MergeTraitsOnTheUser()
    {
        var userId = NewId("ident");
        var first = await IngestAsync(JsonSerializer.Serialize(new
        {
            type = "identify", userId, messageId = NewId("ident-msg"),
            traits = new { cohort = "beta", plan = "free" },
        }));
        var second = await IngestAsync(JsonSerializer.Serialize(new
        {
            type = "identify", userId, messageId = NewId("ident-msg"),
            traits = new { plan = "premium", email = "ada@example.com" },
        }));

        Assert.Equal(1, first.Accepted);
        Assert.Equal(1, second.Accepted);
        var traits = JsonNode.Parse(_factory.UserTraits(userId)!)!;
        Assert.Equal("beta", (string?)traits["cohort"]);
        Assert.Equal("premium", (string?)traits["plan"]);
        Assert.Equal("ada@example.com", (string?)traits["email"]);
        Assert.Empty(_factory.EventsByUser(userId));
    }

    [Fact]
    public async Task Post_IdentifyAndTrackInOneBatch_SetsTraitsAndStoresTheEvent()
    {
        var userId = NewId("ident2");
        var track = NewId("ident2-track");
        var json = JsonSerializer.Serialize(new
        {
            userId,
            batch = new object[]
            {
                new { type = "identify", traits = new { cohort = "general" } },
                Feature(track, userId),
                new { type = "identify", traits = new { plan = "premium" } },
            },
        });

        var reply = await IngestAsync(json);

        Assert.Equal(3, reply.Accepted);
        Assert.Empty(reply.Rejected);
        var traits = JsonNode.Parse(_factory.UserTraits(userId)!)!;
        Assert.Equal("general", (string?)traits["cohort"]);
        Assert.Equal("premium", (string?)traits["plan"]);
        Assert.Equal(userId, _factory.SingleEvent(track).UserKey);
    }

    [Fact]
    public async Task Post_IdentifyAfterTrack_KeepsTheUsersFirstSeen()
    {
        var userId = NewId("ident3");
        var track = Feature(NewId("ident3-track"), userId);
        var at = NowMs().AddDays(-2);
        track["timestamp"] = Iso(at);
        await IngestAsync(Batch(track));

        var reply = await IngestAsync(JsonSerializer.Serialize(new { type = "identify", userId, traits = new { cohort = "beta" } }));

        Assert.Equal(1, reply.Accepted);
        Assert.Equal("beta", (string?)JsonNode.Parse(_factory.UserTraits(userId)!)!["cohort"]);
        Assert.Equal(at.ToUnixTimeMilliseconds(), Count(_factory.DatabasePath, $"SELECT FirstSeen FROM Users WHERE Key = '{userId}'"));
    }

    // ---- Segment and blueprint shapes ----

    [Fact]
    public async Task PostV1Batch_SegmentShapeWithWriteKeyInBody_IsAccepted()
    {
        var userId = NewId("seg");
        var track = NewId("seg-track");
        var json = JsonSerializer.Serialize(new
        {
            writeKey = DashboardFactory.WriteKey,
            sentAt = Iso(NowMs()),
            context = new { library = new { name = "analytics-node", version = "2.0.0" } },
            batch = new object[]
            {
                new
                {
                    type = "track", @event = "FEATURE_ENGAGED", userId, messageId = track, timestamp = Iso(NowMs().AddSeconds(-1)),
                    properties = new { featureName = "export", clickTarget = "menu" },
                    context = new { ip = "10.0.0.1" }, integrations = new { },
                },
                new { type = "identify", userId, messageId = NewId("seg-ident"), traits = new { cohort = "beta" } },
            },
        });
        using var client = _factory.CreateIngestClient(key: null);

        using var response = await client.PostRawAsync("/v1/batch", json);

        var reply = await response.ReadReplyAsync();
        Assert.Equal(2, reply.Accepted);
        Assert.Empty(reply.Rejected);
        var stored = _factory.SingleEvent(track);
        Assert.Equal(userId, stored.UserKey);
        Assert.Equal("beta", (string?)JsonNode.Parse(_factory.UserTraits(userId)!)!["cohort"]);
    }

    [Fact]
    public async Task PostV1Batch_SegmentLibraryWithBasicAuth_IsAccepted()
    {
        var track = NewId("seg-basic");
        using var client = _factory.CreateIngestClient(key: null);
        client.DefaultRequestHeaders.Authorization = Basic(DashboardFactory.WriteKey);
        var item = Feature(track);
        item["type"] = "track";

        using var response = await client.PostObjectAsync("/v1/batch", new { batch = new[] { item }, sentAt = Iso(NowMs()) });

        Assert.Equal(1, (await response.ReadReplyAsync()).Accepted);
        _factory.SingleEvent(track);
    }

    [Fact]
    public async Task PostV1Track_SingleSegmentEventWithWriteKeyInBody_IsAccepted()
    {
        var id = NewId("seg-track1");
        var anonymousId = NewId("seg-anon");
        var json = JsonSerializer.Serialize(new
        {
            type = "track", @event = "USER_REGISTERED", anonymousId, messageId = id, writeKey = DashboardFactory.WriteKey,
            properties = new { referralSource = "newsletter", planType = "premium" },
            timestamp = Iso(NowMs().AddMinutes(-1)), sentAt = Iso(NowMs()),
        });
        using var client = _factory.CreateIngestClient(key: null);

        using var response = await client.PostRawAsync("/v1/track", json);

        Assert.Equal(1, (await response.ReadReplyAsync()).Accepted);
        var stored = _factory.SingleEvent(id);
        Assert.Equal(("USER_REGISTERED", anonymousId), (stored.Name, stored.UserKey));
    }

    [Fact]
    public async Task PostV1Track_InvalidEvent_IsRejectedAndQuarantined()
    {
        var id = NewId("seg-bad");
        var json = JsonSerializer.Serialize(new
        {
            type = "track", @event = "USER_REGISTERED", userId = id, messageId = id, writeKey = DashboardFactory.WriteKey,
            properties = new { referralSource = "newsletter", planType = "enterprise" },
        });
        using var client = _factory.CreateIngestClient(key: null);

        using var response = await client.PostRawAsync("/v1/track", json);

        var reply = await response.ReadReplyAsync();
        Assert.Equal((0, "value_not_in_enum"), (Assert.Single(reply.Rejected).Index, reply.Rejected[0].Code));
        Assert.Empty(_factory.EventsByMessageId(id));
        Assert.Single(_factory.QuarantineContaining(id));
    }

    [Fact]
    public async Task Post_UnsupportedSegmentType_IsRejected()
    {
        var id = NewId("seg-unknown-type");
        var json = JsonSerializer.Serialize(new { batch = new[] { new { type = "pageview", name = "Home", userId = id, messageId = id } } });

        var reply = await IngestAsync(json, "/v1/batch");

        Assert.Equal("unsupported_type", Assert.Single(reply.Rejected).Code);
        Assert.Single(_factory.QuarantineContaining(id));
    }

    [Fact]
    public async Task Post_BlueprintTelemetryServiceShape_StoresEveryEventForTheBatchUser()
    {
        var userId = NewId("blueprint");
        var projectId = NewId("project");
        var signedUp = NowMs().AddMinutes(-5);
        var created = NowMs().AddMinutes(-3);
        var json = JsonSerializer.Serialize(new
        {
            batch = new object[]
            {
                new { @event = "USER_REGISTERED", properties = new { referralSource = "organic", planType = "free" }, timestamp = Iso(signedUp) },
                new { @event = "PROJECT_CREATED", properties = new { projectId, templateUsed = "blank" }, timestamp = Iso(created) },
                new { @event = "FEATURE_ENGAGED", properties = new { featureName = "share", clickTarget = "toolbar" }, timestamp = Iso(created.AddSeconds(30)) },
            },
            userId,
        });

        var reply = await IngestAsync(json);

        Assert.Equal(3, reply.Accepted);
        Assert.Empty(reply.Rejected);
        var stored = _factory.EventsByUser(userId);
        Assert.Equal(["USER_REGISTERED", "PROJECT_CREATED", "FEATURE_ENGAGED"], stored.Select(e => e.Name));
        Assert.Equal(
            [signedUp.ToUnixTimeMilliseconds(), created.ToUnixTimeMilliseconds(), created.AddSeconds(30).ToUnixTimeMilliseconds()],
            stored.Select(e => e.Timestamp));
        Assert.Equal(projectId, JsonDocument.Parse(stored[1].Properties).RootElement.GetProperty("projectId").GetString());
    }

    // ---- Segment's tracking API paths ----

    [Theory]
    [InlineData("/v1/batch")]
    [InlineData("/v1/b")]
    [InlineData("/v1/import")]
    [InlineData("/v1/track")]
    [InlineData("/v1/t")]
    public async Task PostTrackOrBatchPath_ItemWithoutType_IsStoredAsTrack(string path)
    {
        var id = NewId("path");
        var json = path.Contains("track") || path == "/v1/t" ? JsonSerializer.Serialize(Feature(id)) : Batch(Feature(id));

        var reply = await IngestAsync(json, path);

        Assert.Equal(1, reply.Accepted);
        Assert.Equal("FEATURE_ENGAGED", _factory.SingleEvent(id).Name);
    }

    [Theory]
    [InlineData("/v1/page", "PAGE")]
    [InlineData("/v1/p", "PAGE")]
    [InlineData("/v1/screen", "SCREEN")]
    [InlineData("/v1/s", "SCREEN")]
    public async Task PostPageOrScreenPath_MessageWithoutType_IsStoredAsItsBuiltInEvent(string path, string eventName)
    {
        var id = NewId("path-page");
        var userId = "user-" + id;
        var json = JsonSerializer.Serialize(new { userId, messageId = id, name = "Pricing", properties = new { path = "/pricing", title = "Pricing" } });

        var reply = await IngestAsync(json, path);

        Assert.Equal(1, reply.Accepted);
        var stored = _factory.SingleEvent(id);
        Assert.Equal(eventName, stored.Name);
        Assert.Equal(userId, stored.UserKey);
    }

    [Theory]
    [InlineData("/v1/identify")]
    [InlineData("/v1/i")]
    public async Task PostIdentifyPath_MessageWithoutType_MergesItsTraits(string path)
    {
        var userId = NewId("path-ident");
        var json = JsonSerializer.Serialize(new { userId, messageId = NewId("path-ident"), traits = new { plan = "team" } });

        var reply = await IngestAsync(json, path);

        Assert.Equal(1, reply.Accepted);
        Assert.Equal("team", (string?)JsonNode.Parse(_factory.UserTraits(userId)!)!["plan"]);
    }

    [Theory]
    [InlineData("/v1/group", "missing_group_id")]
    [InlineData("/v1/g", "missing_group_id")]
    [InlineData("/v1/alias", "missing_previous_id")]
    [InlineData("/v1/a", "missing_previous_id")]
    public async Task PostGroupOrAliasPath_MessageWithoutType_IsJudgedAsThatCall(string path, string code)
    {
        // Without its groupId or previousId the message is refused for what only that call needs.
        var json = JsonSerializer.Serialize(new { userId = NewId("path-shape"), messageId = NewId("path-shape") });

        var reply = await IngestAsync(json, path);

        Assert.Equal(0, reply.Accepted);
        Assert.Equal(code, Assert.Single(reply.Rejected).Code);
    }

    [Fact]
    public async Task PostPagePath_ItemWithItsOwnType_KeepsIt()
    {
        var id = NewId("path-typed");

        var reply = await IngestAsync(JsonSerializer.Serialize(new Dictionary<string, object?>(Feature(id)) { ["type"] = "track" }), "/v1/p");

        Assert.Equal(1, reply.Accepted);
        Assert.Equal("FEATURE_ENGAGED", _factory.SingleEvent(id).Name);
    }

    // ---- nothing lost ----

    [Fact]
    public async Task Post_RejectedItem_QuarantinePayloadCarriesTheBatchIdentityAndSentAt()
    {
        var userId = NewId("q-user");
        var id = NewId("q");
        var sentAt = Iso(NowMs());
        var json = JsonSerializer.Serialize(new
        {
            batch = new object[] { new { @event = "NOT_IN_TAXONOMY", messageId = id, properties = new { a = 1 } } },
            userId,
            sentAt,
        });

        var before = NowMs();
        var reply = await IngestAsync(json);
        var after = NowMs();

        Assert.Equal("unknown_event", Assert.Single(reply.Rejected).Code);
        var row = Assert.Single(_factory.QuarantineContaining(id));
        Assert.Equal("NOT_IN_TAXONOMY", row.EventName);
        Assert.Null(row.ReplayedAt);
        Assert.InRange(row.ReceivedAt, before.ToUnixTimeMilliseconds(), after.ToUnixTimeMilliseconds());
        var payload = JsonNode.Parse(row.Payload)!;
        Assert.Equal(userId, (string?)payload["userId"]);
        Assert.Equal(sentAt, (string?)payload["sentAt"]);
        Assert.Equal(id, (string?)payload["messageId"]);
        Assert.Equal(1, (int)payload["properties"]!["a"]!);
    }
}
