using System.Text.Json;
using Dashboard.Data;
using Dashboard.Ingest;
using Dashboard.Schema;
using Dashboard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using static Dashboard.Tests.Ingest.IngestTestKit;

namespace Dashboard.Tests.Ingest;

public sealed class QuarantineReplayerFixture : IAsyncLifetime
{
    public DashboardFactory Factory { get; } = new();

    public Task InitializeAsync()
    {
        Factory.Started();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}

public sealed class QuarantineReplayerTests(QuarantineReplayerFixture fixture) : IClassFixture<QuarantineReplayerFixture>
{
    private readonly DashboardFactory _factory = fixture.Factory;

    private QuarantineReplayer Replayer => _factory.Services.GetRequiredService<QuarantineReplayer>();

    /// <summary>An event name no other test uses, so the taxonomy edits of one test touch no other.</summary>
    private static string NewEventName(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..40];

    private async Task DefineAsync(string name, params PropertyDefinition[] properties)
    {
        var editor = _factory.Services.GetRequiredService<TaxonomyEditor>();
        var errors = await editor.SaveAsync(new EventDefinition { Name = name, Description = "Added by a test.", Properties = [.. properties] });
        Assert.Empty(errors);
    }

    private async Task<IngestReply> IngestAsync(object body)
    {
        using var client = _factory.CreateIngestClient();
        using var response = await client.PostObjectAsync("/ingest", body);
        return await response.ReadReplyAsync();
    }

    [Fact]
    public async Task ReplayAsync_PayloadCutShortOnTheWayIn_StaysInTheQuarantine()
    {
        var id = NewId("cut");
        var reply = await IngestAsync(new
        {
            @event = "FEATURE_ENGAGED", userId = "cut-user", messageId = id,
            properties = new { featureName = "search", clickTarget = new string('z', 40 * 1024) },
        });
        Assert.Equal("event_too_large", Assert.Single(reply.Rejected).Code);
        var row = Assert.Single(_factory.QuarantineContaining(id));

        var result = await Replayer.ReplayAsync([row.Id]);

        Assert.Equal(new ReplayResult(0, 0, 1), result);
        var after = Assert.Single(_factory.QuarantineContaining(id));
        Assert.Null(after.ReplayedAt);
        Assert.Equal(row.Reason, after.Reason);
    }

    [Fact]
    public async Task ReplayAsync_UnknownEventAfterItsDefinitionIsAdded_StoresItWithItsOriginalTimestamp()
    {
        var name = NewEventName("ORDER_PLACED");
        var id = NewId("replay");
        var userId = NewId("replay-user");
        var happenedAt = NowMs().AddDays(-2).AddMilliseconds(-321);
        var reply = await IngestAsync(new
        {
            @event = name, userId, messageId = id, timestamp = Iso(happenedAt),
            properties = new { orderId = "o-1", total = 12.5 },
        });
        Assert.Equal("unknown_event", Assert.Single(reply.Rejected).Code);
        var row = Assert.Single(_factory.QuarantineContaining(id));
        Assert.Empty(_factory.EventsByMessageId(id));

        await DefineAsync(name,
            new PropertyDefinition { Name = "orderId", Type = PropertyType.String, Required = true },
            new PropertyDefinition { Name = "total", Type = PropertyType.Number });
        var result = await Replayer.ReplayAsync([row.Id]);

        Assert.Equal(new ReplayResult(1, 0, 0), result);
        var stored = _factory.SingleEvent(id);
        Assert.Equal(name, stored.Name);
        Assert.Equal(userId, stored.UserKey);
        Assert.Equal(happenedAt.ToUnixTimeMilliseconds(), stored.Timestamp);
        Assert.Equal(row.ReceivedAt, stored.ReceivedAt);
        Assert.Equal("o-1", JsonDocument.Parse(stored.Properties).RootElement.GetProperty("orderId").GetString());
        var replayed = Assert.Single(_factory.QuarantineContaining(id));
        Assert.NotNull(replayed.ReplayedAt);
        Assert.Equal(row.Reason, replayed.Reason);
        Assert.DoesNotContain(row.Id, await _factory.Services.GetRequiredService<QuarantineQuery>().IdsAsync(name));
    }

    [Fact]
    public async Task ReplayAsync_EventWithoutTimestamp_KeepsTheTimeItWasFirstReceived()
    {
        var name = NewEventName("REPORT_SHARED");
        var id = NewId("replay-nots");
        await IngestAsync(new { @event = name, userId = id, messageId = id });
        var row = Assert.Single(_factory.QuarantineContaining(id));

        await DefineAsync(name);
        var result = await Replayer.ReplayAsync([row.Id]);

        Assert.Equal(1, result.Replayed);
        var stored = _factory.SingleEvent(id);
        Assert.Equal(row.ReceivedAt, stored.Timestamp);
        Assert.Equal(row.ReceivedAt, stored.ReceivedAt);
    }

    [Fact]
    public async Task ReplayAsync_ItemFromASkewedBatch_KeepsTheBatchIdentityAndTheCorrectedTimestamp()
    {
        var name = NewEventName("INVITE_SENT");
        var id = NewId("replay-skew");
        var userId = NewId("replay-skew-user");
        var clientNow = NowMs().AddHours(-9);
        await IngestAsync(new
        {
            batch = new[] { new { @event = name, messageId = id, timestamp = Iso(clientNow.AddSeconds(-45)) } },
            userId,
            sentAt = Iso(clientNow),
        });
        var row = Assert.Single(_factory.QuarantineContaining(id));

        await DefineAsync(name);
        await Replayer.ReplayAsync([row.Id]);

        var stored = _factory.SingleEvent(id);
        Assert.Equal(userId, stored.UserKey);
        // Corrected against the original receive time: receivedAt - (sentAt - timestamp).
        Assert.Equal(row.ReceivedAt - 45_000, stored.Timestamp);
    }

    [Fact]
    public async Task ReplayAsync_ItemThatStillFails_KeepsItsRowWithTheNewReason()
    {
        var name = NewEventName("PLAN_CHANGED");
        var id = NewId("replay-still");
        await IngestAsync(new { @event = name, userId = id, messageId = id, properties = new { from = "free" } });
        var row = Assert.Single(_factory.QuarantineContaining(id));
        Assert.StartsWith("unknown_event", row.Reason);

        await DefineAsync(name,
            new PropertyDefinition { Name = "from", Type = PropertyType.String, Required = true },
            new PropertyDefinition { Name = "to", Type = PropertyType.Enum, Required = true, EnumValues = ["free", "premium"] });
        var result = await Replayer.ReplayAsync([row.Id]);

        Assert.Equal(new ReplayResult(0, 0, 1), result);
        Assert.Empty(_factory.EventsByMessageId(id));
        var after = Assert.Single(_factory.QuarantineContaining(id));
        Assert.Equal(row.Id, after.Id);
        Assert.Null(after.ReplayedAt);
        Assert.StartsWith("missing_property", after.Reason);
        Assert.Contains("'to'", after.Reason);
        Assert.Equal(row.Payload, after.Payload);
        Assert.Contains(row.Id, await _factory.Services.GetRequiredService<QuarantineQuery>().IdsAsync(name));
    }

    [Fact]
    public async Task ReplayAsync_MixOfFixedAndStillBrokenItems_ReplaysOnlyTheFixedOnes()
    {
        var name = NewEventName("FILE_UPLOADED");
        var good = NewId("replay-mix");
        var bad = NewId("replay-mix");
        var reply = await IngestAsync(new
        {
            batch = new object[]
            {
                new { @event = name, userId = good, messageId = good, properties = new { sizeBytes = 1024 } },
                new { @event = name, userId = bad, messageId = bad, properties = new { sizeBytes = "big" } },
            },
        });
        Assert.Equal(2, reply.Rejected.Count);
        var goodRow = Assert.Single(_factory.QuarantineContaining(good));
        var badRow = Assert.Single(_factory.QuarantineContaining(bad));

        await DefineAsync(name, new PropertyDefinition { Name = "sizeBytes", Type = PropertyType.Number, Required = true });
        var result = await Replayer.ReplayAsync([goodRow.Id, badRow.Id]);

        Assert.Equal(new ReplayResult(1, 0, 1), result);
        _factory.SingleEvent(good);
        Assert.Empty(_factory.EventsByMessageId(bad));
        Assert.NotNull(Assert.Single(_factory.QuarantineContaining(good)).ReplayedAt);
        var stillBad = Assert.Single(_factory.QuarantineContaining(bad));
        Assert.Null(stillBad.ReplayedAt);
        Assert.StartsWith("wrong_property_type", stillBad.Reason);
    }

    [Fact]
    public async Task ReplayAsync_SameRowTwice_StoresTheEventOnce()
    {
        var name = NewEventName("TEAM_JOINED");
        var id = NewId("replay-twice");
        await IngestAsync(new { @event = name, userId = id, messageId = id });
        var row = Assert.Single(_factory.QuarantineContaining(id));
        await DefineAsync(name);

        var first = await Replayer.ReplayAsync([row.Id]);
        var second = await Replayer.ReplayAsync([row.Id]);

        Assert.Equal(new ReplayResult(1, 0, 0), first);
        Assert.Equal(new ReplayResult(0, 0, 0), second);
        _factory.SingleEvent(id);
    }

    [Fact]
    public async Task ReplayAsync_MessageIdStoredMeanwhile_CountsADuplicateAndMarksTheRowReplayed()
    {
        var name = NewEventName("SEAT_ADDED");
        var id = NewId("replay-dup");
        await IngestAsync(new { @event = name, userId = id, messageId = id });
        var row = Assert.Single(_factory.QuarantineContaining(id));
        await DefineAsync(name);
        var resent = await IngestAsync(new { @event = name, userId = id, messageId = id });
        Assert.Equal(1, resent.Accepted);

        var result = await Replayer.ReplayAsync([row.Id]);

        Assert.Equal(new ReplayResult(0, 1, 0), result);
        _factory.SingleEvent(id);
        Assert.NotNull(Assert.Single(_factory.QuarantineContaining(id)).ReplayedAt);
    }
}

public sealed class QuarantineReplayerIdempotenceTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new();

    public Task InitializeAsync()
    {
        _factory.StartServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task ReplayAsync_SameRowTwiceWithoutMessageId_StoresTheEventOnce()
    {
        var name = $"LATE_{Guid.NewGuid():N}"[..30];
        var user = IngestTestKit.NewId("replay-twice");
        using (var client = _factory.CreateIngestClient())
        using (var response = await client.PostObjectAsync("/ingest", new { @event = name, userId = user }))
            Assert.Single((await response.ReadReplyAsync()).Rejected);
        var row = _factory.QuarantineContaining(user).Single();
        var errors = await _factory.Services.GetRequiredService<TaxonomyEditor>()
            .SaveAsync(new EventDefinition { Name = name });
        Assert.Empty(errors);

        // Two replays of the same row, as from two tabs: the row is read unreplayed by both.
        var replayer = _factory.Services.GetRequiredService<QuarantineReplayer>();
        var results = await Task.WhenAll(replayer.ReplayAsync([row.Id]), replayer.ReplayAsync([row.Id]));

        Assert.Single(_factory.EventsByUser(user));
        Assert.Equal(1, results.Sum(r => r.Replayed));
    }

    [Fact]
    public async Task Ingest_SegmentShapeWithWriteKeyInTheBody_QuarantinesThePayloadWithoutTheKey()
    {
        var user = IngestTestKit.NewId("no-key-kept");
        using var client = _factory.CreateIngestClient(key: null);
        using var response = await client.PostObjectAsync("/v1/track",
            new { type = "track", writeKey = DashboardFactory.WriteKey, @event = "NOT_IN_TAXONOMY", userId = user });

        Assert.Single((await response.ReadReplyAsync()).Rejected);
        var payload = _factory.QuarantineContaining(user).Single().Payload;
        Assert.DoesNotContain(DashboardFactory.WriteKey, payload);
        Assert.DoesNotContain("writeKey", payload);
    }
}
