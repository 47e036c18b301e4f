using System.Text.Json;
using Dashboard.Analytics;
using Dashboard.Analytics.Activation;
using Dashboard.Analytics.Activity;
using Dashboard.Analytics.Engagement;
using Dashboard.Analytics.Funnels;
using Dashboard.Analytics.Retention;
using Dashboard.Analytics.WeeklyReview;
using Dashboard.Data;
using Dashboard.Ingest;
using Dashboard.Jobs;
using Dashboard.Rollups;
using Dashboard.Tests.Analytics;
using Dashboard.Tests.TestSupport;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static Dashboard.Tests.Analytics.AnalyticsData;

namespace Dashboard.Tests.Jobs;

/// <summary>
/// The rollup-backed queries answer exactly what the raw events say, whatever the rollup job has
/// seen: nothing, everything, or everything but events stored since (new days, late events with old
/// timestamps, new users), and after the retention job deleted old events. The reference is the same
/// query on the same events with the rollups emptied, so it reads every event raw.
/// </summary>
public sealed class RollupJobTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = T("2026-03-20T12:00:00Z");
    // The tests run the job themselves: a scheduled run would race their counts.
    private readonly DashboardFactory _factory = new(new Dictionary<string, string?> { ["Ingest:MaxAgeDays"] = "15" }, scheduleJobs: false);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private RollupJob Job => new(_factory.Db());

    /// <summary>Every rollup-backed answer over ranges that cut weeks and reach past the data, as one JSON text.</summary>
    private async Task<string> AnswersAsync()
    {
        var clock = new FixedClock(Now);
        var db = _factory.Db();
        var activity = new ActivityQuery(db);
        var features = new FeatureEngagementQuery(db, Options.Create(new AnalyticsOptions()));
        var retention = new RetentionQuery(db, clock);
        var overview = new OverviewQuery(db, clock);
        var newUsers = new NewUsersQuery(db);
        var funnel = new FunnelQuery(db, clock);
        var activation = new ActivationQuery(db, clock);
        var activationTrend = new ActivationTrendQuery(db, clock);
        var answers = new List<object>();
        foreach (var (from, to) in new[] { ("2026-03-01", "2026-03-20"), ("2026-03-04", "2026-03-11"), ("2026-03-10", "2026-03-10") })
        {
            answers.Add(await activity.RunAsync(D(from), D(to), ActivityInterval.Day));
            answers.Add(await activity.RunAsync(D(from), D(to), ActivityInterval.Week));
            answers.Add(await features.RunAsync(D(from), D(to)));
            // Several ranges at once (the weekly review's way) answer what each range alone does.
            (DateOnly, DateOnly)[] ranges = [(D(from), D(to)), (D(from).AddDays(3), D(to)), (D(from).AddDays(-5), D(from).AddDays(1))];
            var together = await features.RunAsync(ranges);
            for (var i = 0; i < ranges.Length; i++)
                Assert.Equal(JsonSerializer.Serialize(await features.RunAsync(ranges[i].Item1, ranges[i].Item2)), JsonSerializer.Serialize(together[i]));
            answers.Add(await retention.RunAsync(D(from), D(to)));
            answers.Add(await retention.RunAsync(D(from), D(to), Breakdown.User("plan")));
            answers.Add(await retention.RunAsync(D(from), D(to), Breakdown.Account("plan")));
            answers.Add(await newUsers.PerDayAsync(D(from), D(to)));
            answers.Add(await newUsers.ActivityAsync(D(from), D(to), D(to).AddDays(-3), D(to)));
            // Funnels read the packed event times: repeated steps, a short window, breakdowns.
            answers.Add(await funnel.RunAsync(new FunnelRequest(["APP_OPENED", "FEATURE_ENGAGED", "FEATURE_ENGAGED"], D(from), D(to))));
            answers.Add(await funnel.RunAsync(new FunnelRequest(["FEATURE_ENGAGED", "APP_OPENED"], D(from), D(to), TimeSpan.FromDays(7),
                Breakdown.User("plan"))));
            answers.Add(await funnel.RunAsync(new FunnelRequest(["USER_REGISTERED", "FEATURE_ENGAGED"], D(from), D(to), TimeSpan.FromDays(8))));
            answers.Add(await funnel.RunAsync(new FunnelRequest(["FEATURE_ENGAGED", "FEATURE_ENGAGED"], D(from), D(to), TimeSpan.FromDays(3),
                Breakdown.Event("featureName"))));
            // Exclusions read packed (without conditions) or raw; a strict order reads every event; time to convert and the trend.
            answers.Add(await funnel.RunAsync(new FunnelRequest(["APP_OPENED", "APP_OPENED"], D(from), D(to),
                Exclude: ["FEATURE_ENGAGED"], TimeToConvert: true, Trend: true)));
            answers.Add(await funnel.RunAsync(new FunnelRequest(["APP_OPENED", "FEATURE_ENGAGED", "APP_OPENED"], D(from), D(to),
                Exclude: ["FEATURE_ENGAGED[featureName=export]"], TimeToConvert: true)));
            answers.Add(await funnel.RunAsync(new FunnelRequest(["FEATURE_ENGAGED", "APP_OPENED"], D(from), D(to),
                Order: FunnelOrder.Strict, Trend: true)));
            // Activation reads the packed event times too: first signups, activation in the window.
            answers.Add(await activation.RunAsync(new ActivationRequest(D(from), D(to), "USER_REGISTERED", "FEATURE_ENGAGED", TimeSpan.FromDays(8))));
            answers.Add(await activation.RunAsync(new ActivationRequest(D(from), D(to), "APP_OPENED", "FEATURE_ENGAGED", TimeSpan.FromDays(1))));
            answers.Add(await activationTrend.RunAsync(new ActivationRequest(D(from), D(to), "FEATURE_ENGAGED", "APP_OPENED", TimeSpan.FromDays(7))));
        }
        answers.Add((await overview.RunAsync()).ActiveUsersLast7Days);
        return JsonSerializer.Serialize(answers);
    }

    /// <summary>The answers with the rollups emptied (every event read raw); the rollups are put back after.</summary>
    private async Task<string> RawAnswersAsync()
    {
        await using var db = _factory.CreateDbContext();
        await using var tx = await db.Database.BeginTransactionAsync();
        var saved = (await db.UserDays.AsNoTracking().ToListAsync(), await db.FeatureUserDays.AsNoTracking().ToListAsync(),
            await db.RollupState.AsNoTracking().ToListAsync());
        await db.Database.ExecuteSqlRawAsync("""CREATE TABLE "EventTimesSaved" AS SELECT * FROM "EventTimes"; DELETE FROM "EventTimes";""");
        await db.UserDays.ExecuteDeleteAsync();
        await db.FeatureUserDays.ExecuteDeleteAsync();
        await db.RollupState.ExecuteDeleteAsync();
        await tx.CommitAsync();
        var raw = await AnswersAsync();
        db.UserDays.AddRange(saved.Item1);
        db.FeatureUserDays.AddRange(saved.Item2);
        db.RollupState.AddRange(saved.Item3);
        await db.SaveChangesAsync();
        await db.Database.ExecuteSqlRawAsync("""INSERT INTO "EventTimes" SELECT * FROM "EventTimesSaved"; DROP TABLE "EventTimesSaved";""");
        return raw;
    }

    /// <summary>The count tables, kept by triggers, equal their rollup grouped by day and previous day (-1: none).</summary>
    private async Task AssertCountsMatchTheRollupsAsync()
    {
        await using var db = _factory.CreateDbContext();
        var users = await db.UserDays.GroupBy(d => new { d.Day, PrevDay = d.PrevDay ?? -1 })
            .Select(g => $"{g.Key.Day}/{g.Key.PrevDay}: {g.Count()} {g.Sum(d => d.Events)}").ToListAsync();
        var userCounts = await db.UserDayCounts.Where(c => c.Users != 0 || c.Events != 0)
            .Select(c => $"{c.Day}/{c.PrevDay}: {c.Users} {c.Events}").ToListAsync();
        Assert.NotEmpty(users);
        Assert.Equal(users.Order(), userCounts.Order());
        var features = await db.FeatureUserDays.GroupBy(d => new { d.Day, d.Feature, PrevDay = d.PrevDay ?? -1 })
            .Select(g => $"{g.Key.Day}/{g.Key.Feature}/{g.Key.PrevDay}: {g.Count()} {g.Sum(d => d.Events)}").ToListAsync();
        var featureCounts = await db.FeatureDayCounts.Where(c => c.Users != 0 || c.Events != 0)
            .Select(c => $"{c.Day}/{c.Feature}/{c.PrevDay}: {c.Users} {c.Events}").ToListAsync();
        Assert.Equal(features.Order(), featureCounts.Order());
    }

    private Task SeedAsync(AnalyticsData data, string suffix = "") => data
        .Account("acme", new { plan = "enterprise" }).Member("a" + suffix, "acme").User("b" + suffix, new { plan = "pro" })
        .Event("a" + suffix, "APP_OPENED", "2026-03-02T09:00:00Z")
        .Event("a" + suffix, "FEATURE_ENGAGED", "2026-03-02T09:01:00Z", new { featureName = "search" })
        .Event("a" + suffix, "FEATURE_ENGAGED", "2026-03-05T10:00:00Z", new { featureName = "search" })
        .Event("a" + suffix, "FEATURE_ENGAGED", "2026-03-10T10:00:00Z", new { featureName = "export" })
        .Event("a" + suffix, "APP_OPENED", "2026-03-16T00:00:00Z")
        .Event("b" + suffix, "APP_OPENED", "2026-03-08T23:59:59Z")
        .Event("b" + suffix, "FEATURE_ENGAGED", "2026-03-09T00:00:00Z", new { featureName = "search" })
        .Event("b" + suffix, "FEATURE_ENGAGED", "2026-03-09T00:00:01Z")
        .Event("c" + suffix, "USER_REGISTERED", "2026-03-11T12:00:00Z")
        .Event("c" + suffix, "FEATURE_ENGAGED", "2026-03-18T12:00:00Z", new { featureName = "export" })
        .SaveAsync();

    [Fact]
    public async Task RunAsync_AfterEveryChange_AnswersEqualTheRawEvents()
    {
        await SeedAsync(new AnalyticsData(_factory.Services));
        var raw = await RawAnswersAsync();
        Assert.Contains("\"ActiveUsers\"", raw);

        Assert.Equal(10, await Job.RunAsync(CancellationToken.None));
        Assert.Equal(raw, await AnswersAsync());
        await AssertCountsMatchTheRollupsAsync();
        await using (var db = _factory.CreateDbContext())
        {
            // a: days 03-02, 03-05, 03-10, 03-16 linked in order; b: 03-08, 03-09.
            var a = await db.UserDays.Where(d => d.UserId == db.Events.Min(e => e.UserId)).OrderBy(d => d.Day).ToListAsync();
            Assert.Equal([null, a[0].Day, a[1].Day, a[2].Day], a.Select(d => d.PrevDay));
            Assert.Equal([2, 1, 1, 1], a.Select(d => d.Events));
        }

        // After the job: new users, a new day for a known user, and late events with old timestamps
        // (before a's first day, and between two of b's days), read raw above the watermark. The
        // new users' ids straddle 4096, where packed funnel reads cut identities in chunks.
        await using (var db = _factory.CreateDbContext())
            await db.Database.ExecuteSqlRawAsync("""INSERT INTO "Users" ("Id", "Key", "Traits", "FirstSeen", "LastSeen") VALUES (4094, 'no-events', '{{}}', 0, 0)""");
        await SeedAsync(new AnalyticsData(_factory.Services), "-new");
        await using (var db = _factory.CreateDbContext())
            Assert.Equal([4095L, 4096L, 4097L], await db.TrackedUsers.Where(u => u.Key.Contains("-new-")).OrderBy(u => u.Id).Select(u => u.Id).ToListAsync());
        await using (var db = _factory.CreateDbContext())
        {
            var (a, b) = (await db.TrackedUsers.OrderBy(u => u.Id).Select(u => u.Id).FirstAsync(),
                await db.TrackedUsers.OrderBy(u => u.Id).Select(u => u.Id).Skip(1).FirstAsync());
            db.Events.AddRange(
                Late("late-1", a, "APP_OPENED", "2026-03-01T08:00:00Z"),
                Late("late-2", a, "FEATURE_ENGAGED", "2026-03-03T08:00:00Z", """{"featureName":"search"}"""),
                Late("late-3", b, "FEATURE_ENGAGED", "2026-03-04T08:00:00Z", """{"featureName":"export"}"""),
                Late("late-4", b, "APP_OPENED", "2026-03-19T08:00:00Z"));
            await db.SaveChangesAsync();
        }
        var withTail = await AnswersAsync();
        Assert.Equal(await RawAnswersAsync(), withTail);
        Assert.NotEqual(raw, withTail);

        // Folded in by the next run, in chunks: same answers.
        Assert.Equal(14, await Job.RunAsync(CancellationToken.None));
        Assert.Equal(withTail, await AnswersAsync());
        Assert.Equal(0, await Job.RunAsync(CancellationToken.None));
        await AssertCountsMatchTheRollupsAsync();

        // Retention deletes events before 03-05 12:00 (15 days before now), cutting a's 03-05 in two.
        await using (var db = _factory.CreateDbContext())
        {
            db.Events.Add(Late("cut-day", await db.TrackedUsers.Select(u => u.Id).FirstAsync(), "APP_OPENED", "2026-03-05T13:00:00Z"));
            await db.SaveChangesAsync();
        }
        var retention = new EventRetentionJob(_factory.Db(), _factory.Services.GetRequiredService<IOptions<IngestOptions>>(), new FixedClock(Now));
        Assert.True(await retention.RunAsync(CancellationToken.None) > 0);
        var afterRetention = await AnswersAsync();
        Assert.Equal(await RawAnswersAsync(), afterRetention);
        await AssertCountsMatchTheRollupsAsync();
        await Job.RunAsync(CancellationToken.None);
        Assert.Equal(afterRetention, await AnswersAsync());
        await AssertCountsMatchTheRollupsAsync();
    }

    [Fact]
    public async Task MergedIdentity_AnswersEqualTheRawEventsBeforeAndAfterTheJob()
    {
        // anon's events: two folded days, one late event above the watermark; user signs up on 03-05.
        await new AnalyticsData(_factory.Services)
            .Event("anon", "APP_OPENED", "2026-03-02T09:00:00Z")
            .Event("anon", "FEATURE_ENGAGED", "2026-03-05T10:00:00Z", new { featureName = "search" })
            .Event("anon", "APP_OPENED", "2026-03-09T08:00:00Z")
            .Event("user", "USER_REGISTERED", "2026-03-05T11:00:00Z")
            .Event("user", "FEATURE_ENGAGED", "2026-03-09T10:00:00Z", new { featureName = "search" })
            .Event("other", "APP_OPENED", "2026-03-09T10:00:00Z")
            .SaveAsync();
        Assert.Equal(6, await Job.RunAsync(CancellationToken.None));
        long anonId, userId;
        string anonKey, userKey;
        await using (var db = _factory.CreateDbContext())
        {
            (anonId, anonKey) = await db.TrackedUsers.Where(u => u.Key.StartsWith("anon-")).Select(u => ValueTuple.Create(u.Id, u.Key)).SingleAsync();
            (userId, userKey) = await db.TrackedUsers.Where(u => u.Key.StartsWith("user-")).Select(u => ValueTuple.Create(u.Id, u.Key)).SingleAsync();
            db.Events.Add(Late("anon-late", anonId, "FEATURE_ENGAGED", "2026-03-12T08:00:00Z", """{"featureName":"export"}"""));
            await db.SaveChangesAsync();
        }
        var funnel = new FunnelQuery(_factory.Db(), new FixedClock(Now));
        var request = new FunnelRequest(["APP_OPENED", "USER_REGISTERED"], D("2026-03-01"), D("2026-03-20"));
        Assert.Equal([2, 0], (await funnel.RunAsync(request)).Steps.Select(s => s.Users));
        var before = await AnswersAsync();

        var writer = _factory.Services.GetRequiredService<EventWriter>();
        var identify = new WriteRequest([new ValidEvent(MessageType.Identify, userKey, null, "{}", null, Now.ToUnixTimeMilliseconds(), "merge-1") { MergeKey = anonKey }],
            [], Now.ToUnixTimeMilliseconds());
        Assert.True(writer.TryEnqueue(identify));
        Assert.Equal(1, (await identify.Task).Accepted);

        // Hand-computed: the one person opened the app on 03-02 and signed up on 03-05; on 03-09 two people were active, not three.
        Assert.Equal([2, 1], (await funnel.RunAsync(request)).Steps.Select(s => s.Users));
        var day = (await new ActivityQuery(_factory.Db()).RunAsync(D("2026-03-09"), D("2026-03-09"), ActivityInterval.Day)).Points.Single();
        Assert.Equal((2, 3L), (day.ActiveUsers, day.Events));
        var merged = await AnswersAsync();
        Assert.NotEqual(before, merged);
        Assert.Equal(await RawAnswersAsync(), merged);
        await AssertCountsMatchTheRollupsAsync();
        await using (var db = _factory.CreateDbContext())
        {
            Assert.False(await db.UserDays.AnyAsync(d => d.UserId == anonId));
            Assert.Equal(3, await db.UserDays.CountAsync(d => d.UserId == userId)); // 03-02, 03-05, 03-09 folded; 03-12 is in the tail
        }

        Assert.Equal(1, await Job.RunAsync(CancellationToken.None));
        Assert.Equal(merged, await AnswersAsync());
        await AssertCountsMatchTheRollupsAsync();
    }

    [Fact]
    public async Task RunAsync_UpToAWatermark_StopsThereAndLeavesTheRestRaw()
    {
        await SeedAsync(new AnalyticsData(_factory.Services));
        var raw = await RawAnswersAsync();
        long third;
        await using (var db = _factory.CreateDbContext())
            third = await db.Events.OrderBy(e => e.Id).Select(e => e.Id).Skip(2).FirstAsync();

        Assert.Equal(3, await Job.RunAsync(CancellationToken.None, third));
        Assert.Equal(0, await Job.RunAsync(CancellationToken.None, third));
        Assert.Equal(raw, await AnswersAsync());
        await using (var db = _factory.CreateDbContext())
            Assert.Equal(third, (await db.RollupState.SingleAsync()).Watermark);
    }

    [Fact]
    public async Task RunAsync_WhileIngestHasEventsWaiting_LeavesThemTheLockForAMinuteOrUntilTheTailIsLarge()
    {
        await SeedAsync(new AnalyticsData(_factory.Services));
        var raw = await RawAnswersAsync();
        // A writer that is not running keeps what it is given waiting; the running one drains at once.
        var busy = ActivatorUtilities.CreateInstance<EventWriter>(_factory.Services);
        Assert.True(busy.TryEnqueue(new WriteRequest([], [], 0)));
        var idle = _factory.Services.GetRequiredService<EventWriter>();
        // The seeded events came in at their timestamps; the oldest at 2026-03-02 09:00.
        var soon = new FixedClock(T("2026-03-02T09:00:30Z"));
        var later = new FixedClock(T("2026-03-02T09:01:01Z"));

        Assert.Equal(0, await new RollupJob(_factory.Db(), busy, soon).RunAsync(CancellationToken.None));
        await using (var db = _factory.CreateDbContext())
            Assert.Equal(0, await db.RollupState.CountAsync());
        Assert.Equal(raw, await AnswersAsync());
        Assert.Equal(10, await new RollupJob(_factory.Db(), busy, soon) { MaxDeferredEvents = 10 }.RunAsync(CancellationToken.None));

        await SeedAsync(new AnalyticsData(_factory.Services), "-2");
        Assert.Equal(0, await new RollupJob(_factory.Db(), busy, soon).RunAsync(CancellationToken.None));
        Assert.Equal(10, await new RollupJob(_factory.Db(), busy, later).RunAsync(CancellationToken.None));

        await SeedAsync(new AnalyticsData(_factory.Services), "-3");
        Assert.Equal(10, await new RollupJob(_factory.Db(), idle, soon).RunAsync(CancellationToken.None));
        Assert.Equal(await RawAnswersAsync(), await AnswersAsync());
    }

    private static EventRecord Late(string id, long user, string name, string at, string properties = "{}") => new()
    {
        MessageId = id, Name = name, UserId = user, Timestamp = T(at).ToUnixTimeMilliseconds(),
        ReceivedAt = Now.ToUnixTimeMilliseconds(), Properties = properties,
    };
}
