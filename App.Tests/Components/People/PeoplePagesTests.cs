using Bunit;
using Dashboard.Components.Pages.People;
using static Dashboard.Tests.Ingest.IngestTestKit;

namespace Dashboard.Tests.Components.People;

public sealed class PeoplePagesTests : PageTestBase
{
    [Fact]
    public void Search_NobodyMatches_ShowsTheEmptyState()
    {
        var search = NewId("nobody");
        var cut = RenderPage<PeopleSearchPage>(uri: $"people?search={search}");

        cut.WaitForAssertion(() => Assert.Contains($"Nobody matches “{search}”", cut.Find("[data-testid=empty-state]").TextContent), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=people]"));
    }

    [Fact]
    public async Task Search_ByTrait_ListsThePersonWithTheTraitAndLinksToThem()
    {
        var (user, plan) = (NewId("user"), NewId("plan"));
        await PostAsync(new Dictionary<string, object> { ["type"] = "identify", ["userId"] = user, ["traits"] = new Dictionary<string, object> { [plan] = "team" } });

        var cut = RenderPage<PeopleSearchPage>(uri: $"people?search={plan}:team");

        cut.WaitForAssertion(() =>
        {
            var link = Assert.Single(cut.FindAll("[data-testid=person-link]"));
            Assert.Equal(user, link.TextContent);
            Assert.EndsWith($"people/{user}", link.GetAttribute("href"));
            Assert.Contains($"{plan}: team", cut.Find("[data-testid=people]").TextContent);
        }, Timeout);
        Assert.Empty(cut.FindAll("[data-testid=load-more]"));
    }

    [Fact]
    public async Task Person_WithMergedIds_ShowsThemTheTraitsAccountAndTimeline_AndAMergedIdOpensTheUser()
    {
        var (user, anon1, anon2, account) = (NewId("user"), NewId("anon"), NewId("anon"), NewId("acme"));
        await PostAsync(
            new { @event = "APP_OPENED", anonymousId = anon1, timestamp = At(Today, 9), properties = new { source = "ad" } },
            new { type = "identify", userId = user, anonymousId = anon1, traits = new { plan = "pro" } },
            new { type = "alias", userId = user, previousId = anon2 },
            new { type = "group", userId = user, groupId = account, traits = new { industry = "retail" } },
            new { @event = "APP_OPENED", userId = user, timestamp = At(Today, 10), properties = new { source = "mail" } });

        var cut = RenderPage<PersonPage>(p => p.Add(x => x.Id, anon2));

        cut.WaitForAssertion(() =>
        {
            Assert.Equal(user, cut.Find("[data-testid=person-id]").TextContent);
            Assert.Contains("merged into this user", cut.Find("[data-testid=merged-note]").TextContent);
            var merged = cut.Find("[data-testid=merged-ids]").TextContent;
            Assert.Contains(anon1, merged);
            Assert.Contains(anon2, merged);
            Assert.Contains("pro", cut.Find("[data-testid=traits]").TextContent);
            Assert.Equal(account, cut.Find("[data-testid=account]").TextContent);
            Assert.Contains("retail", cut.Find("[data-testid=account-traits]").TextContent);
            var events = cut.FindAll("[data-testid=event]");
            Assert.Equal(2, events.Count);
            Assert.Contains("mail", events[0].TextContent);
            Assert.Contains("APP_OPENED", events[1].TextContent);
            Assert.Contains("\"source\": \"ad\"", events[1].QuerySelector("pre")!.TextContent);
        }, Timeout);
        Assert.Empty(cut.FindAll("[data-testid=load-more-events]"));
    }

    [Fact]
    public async Task Search_MoreThanAPage_LoadMoreAppendsTheRest()
    {
        var plan = NewId("plan");
        var users = Enumerable.Range(0, 51).Select(i => NewId($"u{i}")).ToArray();
        await PostAsync([.. users.Select(u => (object)new Dictionary<string, object> { ["type"] = "identify", ["userId"] = u, ["traits"] = new Dictionary<string, object> { [plan] = "x" } })]);

        var cut = RenderPage<PeopleSearchPage>(uri: $"people?search={plan}:x");

        cut.WaitForAssertion(() => Assert.Equal(50, cut.FindAll("[data-testid=person-link]").Count), Timeout);
        await cut.Find("[data-testid=load-more]").ClickAsync(new());
        cut.WaitForAssertion(() =>
        {
            Assert.Equal(users.Order(), cut.FindAll("[data-testid=person-link]").Select(a => a.TextContent).Order());
            Assert.Empty(cut.FindAll("[data-testid=load-more]"));
        }, Timeout);
    }

    [Fact]
    public void Person_Unknown_SaysSo()
    {
        var cut = RenderPage<PersonPage>(p => p.Add(x => x.Id, NewId("nobody")));

        cut.WaitForAssertion(() => Assert.Contains("No person with the id", cut.Find("[data-testid=not-found]").TextContent), Timeout);
    }
}
