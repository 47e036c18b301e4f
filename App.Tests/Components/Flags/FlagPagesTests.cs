using Bunit;
using Dashboard.Components.Pages.Flags;
using Dashboard.Data;
using Dashboard.Flags;
using Dashboard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Dashboard.Tests.Components.Flags;

public sealed class FlagPagesTests : PageTestBase
{
    private FlagAdmin Admin => Factory.Services.GetRequiredService<FlagAdmin>();

    private async Task<FlagState?> StoredAsync(string key)
    {
        await using var db = Factory.CreateDbContext();
        return await db.Flags.AsNoTracking().FirstOrDefaultAsync(f => f.Key == key) is { } r ? FlagState.FromRecord(r) : null;
    }

    [Fact]
    public async Task List_Flags_ShowStatusLastChangeEvaluationsAndStaleMarker()
    {
        await Admin.SaveAsync(new FlagState("pg_percent", "A quarter", "web", true, 25, [], []), "alice");
        await Admin.SaveAsync(new FlagState("pg_targeted", "", "", true, 10, [new FlagRule("cohort", "equals", ["beta"])], []), "alice");
        await Admin.SaveAsync(new FlagState("pg_off", "", "", false, 50, [], []), "alice");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using (var db = Factory.CreateDbContext())
        {
            db.Flags.Add(new FlagRecord { Key = "pg_stale_on", Enabled = true, RolloutBasisPoints = 10_000, UpdatedAt = now - 40L * 86_400_000, UpdatedBy = "bob" });
            db.FlagEvaluationCounts.Add(new FlagEvaluationCount { FlagKey = "pg_percent", HourStart = now - now % 3_600_000, Count = 1234 });
            db.FlagEvaluationCounts.Add(new FlagEvaluationCount { FlagKey = "pg_percent", HourStart = now - now % 3_600_000 - 30 * 3_600_000L, Count = 99 });
            db.FlagEvaluationCounts.Add(new FlagEvaluationCount { FlagKey = "pg_stale_on", HourStart = now - now % 3_600_000, Count = 5 });
            await db.SaveChangesAsync();
        }

        var cut = RenderPage<FlagsPage>(uri: "/flags?q=pg_");

        cut.WaitForAssertion(() => Assert.Equal(4, cut.FindAll("[data-testid=flags] tbody tr").Count), Timeout);
        var rows = cut.FindAll("[data-testid=flags] tbody tr").ToDictionary(r => r.QuerySelector("a")!.TextContent.Trim());
        Assert.Contains("25 %", rows["pg_percent"].QuerySelector("[data-testid=status]")!.TextContent);
        Assert.Contains("1,234", rows["pg_percent"].TextContent); // the count 30 hours ago is outside the last 24 hours
        Assert.Contains("by alice", rows["pg_percent"].TextContent);
        Assert.Contains("targeted, 10 % of the rest", rows["pg_targeted"].TextContent);
        Assert.Contains("off", rows["pg_off"].QuerySelector("[data-testid=status]")!.TextContent);
        Assert.Contains("on for everyone", rows["pg_stale_on"].TextContent);
        Assert.Contains("fully on for 30 days", rows["pg_stale_on"].QuerySelector("[data-testid=stale]")!.TextContent);
        Assert.Empty(rows["pg_percent"].QuerySelectorAll("[data-testid=stale]"));
    }

    [Fact]
    public void List_SearchWithoutMatch_SaysSo()
    {
        var cut = RenderPage<FlagsPage>(uri: "/flags?q=zzz_nothing");
        cut.WaitForAssertion(() => Assert.Contains("No flag matches “zzz_nothing”", cut.Markup), Timeout);
    }

    /// <summary>A flag that was evaluated in the last 24 hours, so turning it off asks first.</summary>
    private async Task FlagWithTrafficAsync(string key, int evaluations)
    {
        await Admin.SaveAsync(new FlagState(key, "", "", true, 100, [], []), "alice");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using var db = Factory.CreateDbContext();
        db.FlagEvaluationCounts.Add(new FlagEvaluationCount { FlagKey = key, HourStart = now - now % 3_600_000, Count = evaluations });
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task List_SwitchOffConfirmed_TurnsTheFlagOffAndAuditsThePerson()
    {
        await FlagWithTrafficAsync("pg_list_kill", 42);
        var dialogs = Context.Render<MudDialogProvider>();
        var cut = RenderPage<FlagsPage>(uri: "/flags?q=pg_list_kill");
        cut.WaitForAssertion(() => Assert.True(cut.Find("input[data-testid=flag-toggle]").HasAttribute("checked")), Timeout);
        Assert.Equal("pg_list_kill enabled", cut.Find("input[data-testid=flag-toggle]").GetAttribute("aria-label"));

        cut.Find("input[data-testid=flag-toggle]").Change(false);

        dialogs.WaitForAssertion(() => Assert.Contains("it was evaluated 42 times in the last 24 hours", dialogs.Markup), Timeout);
        Assert.True((await StoredAsync("pg_list_kill"))!.Enabled);
        dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Save the change").Click();

        await Eventually.UntilAsync(async () => !(await StoredAsync("pg_list_kill"))!.Enabled);
        var audit = (await Factory.Services.GetRequiredService<FlagQueries>().AuditAsync("pg_list_kill"))!;
        Assert.Equal("test-admin", audit[0].Actor);
        Assert.Contains("Enabled: on → off", audit[0].Changes);
        cut.WaitForAssertion(() =>
        {
            Assert.False(cut.Find("input[data-testid=flag-toggle]").HasAttribute("checked"));
            Assert.Equal("off", cut.Find("[data-testid=status]").TextContent.Trim());
        }, Timeout);
    }

    [Fact]
    public async Task List_SwitchOffCancelled_LeavesTheFlagOn()
    {
        await FlagWithTrafficAsync("pg_list_keep", 7);
        var dialogs = Context.Render<MudDialogProvider>();
        var cut = RenderPage<FlagsPage>(uri: "/flags?q=pg_list_keep");
        cut.WaitForAssertion(() => cut.Find("input[data-testid=flag-toggle]"), Timeout);

        cut.Find("input[data-testid=flag-toggle]").Change(false);
        dialogs.WaitForAssertion(() => dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Cancel").Click(), Timeout);

        cut.WaitForAssertion(() => Assert.True(cut.Find("input[data-testid=flag-toggle]").HasAttribute("checked")), Timeout);
        await Task.Delay(200);
        Assert.True((await StoredAsync("pg_list_keep"))!.Enabled);
        Assert.Single((await Factory.Services.GetRequiredService<FlagQueries>().AuditAsync("pg_list_keep"))!);
    }

    [Fact]
    public async Task List_SwitchOnWithoutRisk_SavesAtOnce()
    {
        await Admin.SaveAsync(new FlagState("pg_list_on", "", "", false, 30, [], []), "alice");
        var dialogs = Context.Render<MudDialogProvider>();
        var cut = RenderPage<FlagsPage>(uri: "/flags?q=pg_list_on");
        cut.WaitForAssertion(() => cut.Find("input[data-testid=flag-toggle]"), Timeout);

        cut.Find("input[data-testid=flag-toggle]").Change(true);

        await Eventually.UntilAsync(async () => (await StoredAsync("pg_list_on"))!.Enabled);
        Assert.Equal(30, (await StoredAsync("pg_list_on"))!.RolloutPercent);
        Assert.DoesNotContain("Confirm this change", dialogs.Markup);
        cut.WaitForAssertion(() => Assert.Equal("30 %", cut.Find("[data-testid=status]").TextContent.Trim()), Timeout);
    }

    [Fact]
    public async Task New_ValidFlag_IsCreatedByTheSignedInPerson()
    {
        var cut = RenderPage<FlagEditPage>();
        cut.WaitForAssertion(() => cut.Find("input[data-testid=flag-key]"), Timeout);

        cut.Find("input[data-testid=flag-key]").Change("pg_new_flag");
        cut.Find("input[data-testid=flag-owner]").Change("growth");
        cut.Find("input[data-testid=rollout-number]").Change("12.34");
        cut.Find("button[data-testid=add-rule]").Click();
        cut.Find("input[data-testid=rule-attribute]").Change("cohort");
        cut.Find("input[data-testid=rule-values]").Change("beta");
        cut.Find("button[data-testid=save]").Click();

        FlagState? stored = null;
        await Eventually.UntilAsync(async () => (stored = await StoredAsync("pg_new_flag")) is not null);
        Assert.Equal(12.34m, stored!.RolloutPercent);
        Assert.Equal("growth", stored.Owner);
        Assert.Equal([new FlagRule("cohort", "equals", ["beta"])], stored.Rules.Select(r => r with { Values = r.Values.ToList() }).ToList(),
            new RuleComparer());
        var audit = (await Factory.Services.GetRequiredService<FlagQueries>().AuditAsync("pg_new_flag"))!;
        Assert.Equal("test-admin", Assert.Single(audit).Actor);
        Assert.EndsWith("/flags/pg_new_flag", Navigation.Uri);
    }

    [Fact]
    public async Task Save_WeightsNotSummingTo100_ShowsTheErrorAndSavesNothing()
    {
        await Admin.SaveAsync(new FlagState("pg_weights", "", "", true, 50, [], []), "alice");
        var cut = RenderPage<FlagEditPage>(p => p.Add(x => x.Key, "pg_weights"));
        cut.WaitForAssertion(() => cut.Find("button[data-testid=add-variant]"), Timeout);

        cut.Find("button[data-testid=add-variant]").Click();
        cut.Find("button[data-testid=add-variant]").Click();
        cut.FindAll("input[data-testid=variant-weight]")[1].Change("30");
        cut.Find("button[data-testid=save]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Variant weights must sum to 100 (they sum to 130)", cut.Find("[data-testid=errors]").TextContent), Timeout);
        Assert.Empty((await StoredAsync("pg_weights"))!.Variants);
    }

    [Fact]
    public async Task Save_JumpTo100_AsksWithTheUsersItTurnsOnAndSavesOnlyAfterConfirmation()
    {
        await Admin.SaveAsync(new FlagState("pg_jump", "", "", true, 0, [], []), "alice");
        var now = DateTimeOffset.UtcNow;
        await PostAsync(Enumerable.Range(0, 6).Select(i => (object)new { @event = "APP_OPENED", userId = $"jump-user-{i}", timestamp = now.AddDays(-1) }).ToArray());
        var dialogs = Context.Render<MudDialogProvider>();
        var cut = RenderPage<FlagEditPage>(p => p.Add(x => x.Key, "pg_jump"));
        cut.WaitForAssertion(() => cut.Find("input[data-testid=rollout-number]"), Timeout);

        cut.Find("input[data-testid=rollout-number]").Change("100");
        cut.Find("button[data-testid=save]").Click();

        dialogs.WaitForAssertion(() =>
        {
            Assert.Contains("This raises the rollout to 100 % in one step.", dialogs.Markup);
            Assert.Contains("Of the 6 users seen last week, it turns it on for about 6 users.", dialogs.Markup);
        }, Timeout);
        Assert.Equal(0, (await StoredAsync("pg_jump"))!.RolloutPercent);

        dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Save the change").Click();
        await Eventually.UntilAsync(async () => (await StoredAsync("pg_jump"))!.RolloutPercent == 100);
    }

    [Fact]
    public async Task Save_DisablingWithTrafficCancelled_ChangesNothing()
    {
        await Admin.SaveAsync(new FlagState("pg_kill", "", "", true, 100, [], []), "alice");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using (var db = Factory.CreateDbContext())
        {
            db.FlagEvaluationCounts.Add(new FlagEvaluationCount { FlagKey = "pg_kill", HourStart = now - now % 3_600_000, Count = 42 });
            await db.SaveChangesAsync();
        }
        var dialogs = Context.Render<MudDialogProvider>();
        var cut = RenderPage<FlagEditPage>(p => p.Add(x => x.Key, "pg_kill"));
        cut.WaitForAssertion(() => cut.Find("input[data-testid=flag-enabled]"), Timeout);

        cut.Find("input[data-testid=flag-enabled]").Change(false);
        cut.Find("button[data-testid=save]").Click();

        dialogs.WaitForAssertion(() => Assert.Contains("it was evaluated 42 times in the last 24 hours", dialogs.Markup), Timeout);
        dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Cancel").Click();
        dialogs.WaitForAssertion(() => Assert.DoesNotContain("it was evaluated 42 times", dialogs.Markup), Timeout);
        Assert.True((await StoredAsync("pg_kill"))!.Enabled);
    }

    [Fact]
    public async Task History_ShowsTheDiffAndRestoresAnEarlierState()
    {
        var first = new FlagState("pg_history", "first", "", true, 10, [], []);
        await Admin.SaveAsync(first, "alice");
        await Admin.SaveAsync(first with { RolloutPercent = 20 }, "bob");
        var dialogs = Context.Render<MudDialogProvider>();
        var cut = RenderPage<FlagEditPage>(p => p.Add(x => x.Key, "pg_history"));

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=history-entry]").Count), Timeout);
        var latest = cut.FindAll("[data-testid=history-entry]")[0];
        Assert.Contains("bob", latest.TextContent);
        Assert.Contains("Rollout: 10 % → 20 %", latest.TextContent);

        cut.Find("button[data-testid=restore]").Click();
        dialogs.WaitForAssertion(() => dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Restore").Click(), Timeout);

        await Eventually.UntilAsync(async () => (await StoredAsync("pg_history"))!.RolloutPercent == 10);
        cut.WaitForAssertion(() => Assert.Contains("restore", cut.FindAll("[data-testid=history-entry]")[0].TextContent), Timeout);
    }

    [Fact]
    public void Edit_UnknownFlag_SaysSo()
    {
        var cut = RenderPage<FlagEditPage>(p => p.Add(x => x.Key, "pg_missing"));
        cut.WaitForAssertion(() => Assert.Contains("There is no flag “pg_missing”", cut.Find("[data-testid=load-error]").TextContent), Timeout);
    }

    [Fact]
    public async Task Edit_FlagFeedingAnExperiment_LinksToIt()
    {
        await Admin.SaveAsync(new FlagState("pg_exp", "", "", true, 100, [], [new FlagVariant("control", 50), new FlagVariant("treatment", 50)]), "alice");
        await using (var db = Factory.CreateDbContext())
        {
            db.Experiments.Add(new ExperimentRecord { Key = "pg_exp_test", FlagKey = "pg_exp", GoalEvent = "PROJECT_CREATED", State = ExperimentState.Running });
            await db.SaveChangesAsync();
        }
        var cut = RenderPage<FlagEditPage>(p => p.Add(x => x.Key, "pg_exp"));
        cut.WaitForAssertion(() => Assert.Equal("/experiments/pg_exp_test", cut.Find("[data-testid=experiment] a").GetAttribute("href")), Timeout);
    }

    private sealed class RuleComparer : IEqualityComparer<FlagRule>
    {
        public bool Equals(FlagRule? x, FlagRule? y) => x!.Attribute == y!.Attribute && x.Operator == y.Operator && x.Values.SequenceEqual(y.Values)
                                                         && x.Value == y.Value && x.Variant == y.Variant;
        public int GetHashCode(FlagRule obj) => obj.Attribute.GetHashCode();
    }
}
