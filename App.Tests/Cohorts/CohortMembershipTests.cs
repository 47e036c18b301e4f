using System.Text.Json;
using Dashboard.Cohorts;
using Dashboard.Tests.Analytics;
using Dashboard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Cohorts;

/// <summary>Membership on hand-made data sets, the clock fixed at 2026-11-30 12:00 UTC.</summary>
public sealed class CohortMembershipTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = AnalyticsData.T("2026-11-30T12:00:00Z");
    private readonly DashboardFactory _factory = new(clock: new FixedClock(Now));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private AnalyticsData Data() => new(_factory.Services);

    /// <summary>Creates the cohort (which computes it) and answers its members' names (the user keys without the data set's suffix), sorted.</summary>
    private async Task<List<string>> MembersAsync(string key, string definition)
    {
        var editor = _factory.Services.GetRequiredService<CohortEditor>();
        var result = await editor.CreateAsync(new CohortInput(key, key, CohortDefinition.Parse(JsonDocument.Parse(definition).RootElement)), "test");
        Assert.Equal(CohortOutcome.Ok, result.Outcome);
        var members = await MemberNamesAsync(key);
        Assert.Equal(members.Count, result.Cohort!.Size);
        Assert.Equal(Now, result.Cohort.ComputedAt);
        return members;
    }

    private async Task<List<string>> MemberNamesAsync(string key)
    {
        await using var db = _factory.CreateDbContext();
        var keys = await db.CohortMembers.Where(m => m.CohortKey == key)
            .Join(db.TrackedUsers, m => m.UserId, u => u.Id, (_, u) => u.Key).ToListAsync();
        return [.. keys.Select(k => k[..k.LastIndexOf('-')]).Order(StringComparer.Ordinal)];
    }

    [Fact]
    public async Task Compute_EventCountInWindow_CountsExactlyNAndTheInstantDDaysAgo()
    {
        await Data()
            // exactly 2, the first exactly 7 days before now (inside)
            .Event("a", "PROJECT_CREATED", "2026-11-23T12:00:00Z", new { template = "kanban" })
            .Event("a", "PROJECT_CREATED", "2026-11-29T08:00:00Z", new { template = "kanban" })
            // one inside, one a millisecond before the window
            .Event("b", "PROJECT_CREATED", "2026-11-23T11:59:59.999Z", new { template = "kanban" })
            .Event("b", "PROJECT_CREATED", "2026-11-30T11:00:00Z", new { template = "kanban" })
            // two inside, but one with another template
            .Event("c", "PROJECT_CREATED", "2026-11-28T08:00:00Z", new { template = "kanban" })
            .Event("c", "PROJECT_CREATED", "2026-11-28T09:00:00Z", new { template = "list" })
            // three inside, the last exactly now (inside)
            .Event("d", "PROJECT_CREATED", "2026-11-25T08:00:00Z", new { template = "kanban" })
            .Event("d", "PROJECT_CREATED", "2026-11-25T08:00:00Z", new { template = "kanban" })
            .Event("d", "PROJECT_CREATED", "2026-11-30T12:00:00Z", new { template = "kanban" })
            // N-1 = 1
            .Event("e", "PROJECT_CREATED", "2026-11-29T08:00:00Z", new { template = "kanban" })
            // after now: not counted
            .Event("f", "PROJECT_CREATED", "2026-11-29T08:00:00Z", new { template = "kanban" })
            .Event("f", "PROJECT_CREATED", "2026-11-30T12:00:00.001Z", new { template = "kanban" })
            // another event
            .Event("g", "TASK_CREATED", "2026-11-29T08:00:00Z", new { template = "kanban" })
            .Event("g", "TASK_CREATED", "2026-11-29T09:00:00Z", new { template = "kanban" })
            .SaveAsync();

        var members = await MembersAsync("busy", """{ "events": [ { "event": "PROJECT_CREATED", "where": { "template": "kanban" }, "atLeast": 2, "days": 7 } ] }""");

        Assert.Equal(["a", "d"], members);
    }

    [Fact]
    public async Task Compute_TraitOneOfValues_ComparesAsText()
    {
        await Data()
            .User("team", new { plan = "team" }).User("pro", new { plan = "pro" }).User("free", new { plan = "free" })
            .User("none", new { other = "team" }).User("num", new { plan = 5 }).User("yes", new { plan = true })
            .SaveAsync();

        Assert.Equal(["pro", "team"], await MembersAsync("paid", """{ "traits": [ { "trait": "plan", "values": ["team", "pro"] } ] }"""));
        Assert.Equal(["num", "yes"], await MembersAsync("odd", """{ "traits": [ { "trait": "plan", "values": [5, true] } ] }"""));
    }

    [Fact]
    public async Task Compute_FirstSeenRange_IncludesBothEdgeDays()
    {
        await Data()
            .Event("before", "X", "2026-11-09T23:59:59.999Z")
            .Event("first", "X", "2026-11-10T00:00:00Z")
            .Event("last", "X", "2026-11-12T23:59:59.999Z")
            .Event("after", "X", "2026-11-13T00:00:00Z")
            .SaveAsync();

        Assert.Equal(["first", "last"], await MembersAsync("new", """{ "firstSeen": { "from": "2026-11-10", "to": "2026-11-12" } }"""));
    }

    [Fact]
    public async Task Compute_SeveralConditions_AllMustHold()
    {
        await Data()
            .User("both", new { plan = "team" }).Event("both", "PROJECT_CREATED", "2026-11-29T08:00:00Z")
            .User("traitOnly", new { plan = "team" }).Event("traitOnly", "X", "2026-11-29T08:00:00Z")
            .User("eventOnly", new { plan = "free" }).Event("eventOnly", "PROJECT_CREATED", "2026-11-29T08:00:00Z")
            .SaveAsync();

        Assert.Equal(["both"], await MembersAsync("and",
            """{ "traits": [ { "trait": "plan", "values": ["team"] } ], "events": [ { "event": "PROJECT_CREATED", "atLeast": 1, "days": 30 } ] }"""));
    }

    [Fact]
    public async Task Compute_AfterAChange_ReplacesTheMembers()
    {
        await Data().User("t1", new { plan = "team" }).User("t2", new { plan = "team" }).User("p1", new { plan = "pro" }).SaveAsync();
        Assert.Equal(["t1", "t2"], await MembersAsync("plan", """{ "traits": [ { "trait": "plan", "values": ["team"] } ] }"""));

        var editor = _factory.Services.GetRequiredService<CohortEditor>();
        var changed = await editor.UpdateAsync("plan", new CohortInput(null, null,
            CohortDefinition.Parse(JsonDocument.Parse("""{ "traits": [ { "trait": "plan", "values": ["pro"] } ] }""").RootElement)), "test");

        Assert.Equal(1, changed.Cohort!.Size);
        Assert.Equal(["p1"], await MemberNamesAsync("plan"));
    }

    [Fact]
    public async Task Compute_NobodyMatches_IsAnEmptyCohort()
    {
        await Data().User("u", new { plan = "team" }).SaveAsync();

        Assert.Empty(await MembersAsync("empty", """{ "traits": [ { "trait": "plan", "values": ["enterprise"] } ] }"""));
    }
}
