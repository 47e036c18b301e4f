using Bunit;
using Dashboard.Components.Pages.Events;
using Dashboard.Data;
using Dashboard.Schema;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Components;

public sealed class QuarantinePageTests : PageTestBase
{
    [Fact]
    public async Task Render_QuarantinedItem_ShowsNameReasonAndPayload()
    {
        var name = $"UNKNOWN_{Guid.NewGuid():N}";
        await PostAsync(new { @event = name, userId = "q-user", properties = new { color = "teal" } });

        var cut = RenderPage<QuarantinePage>();

        cut.WaitForAssertion(() =>
        {
            var row = Assert.Single(cut.FindAll("[data-testid=quarantine] tbody tr"), r => r.TextContent.Contains(name));
            Assert.Contains("unknown_event", row.TextContent);
            Assert.Contains("teal", row.QuerySelector(".payload")!.TextContent);
            Assert.Contains("(1)", cut.Find("[data-testid=replay-all]").TextContent);
        }, Timeout);
    }

    [Fact]
    public async Task Render_QuarantinedItem_LinksItsUserToThePersonPageWithTheIdEscaped()
    {
        var name = $"UNKNOWN_{Guid.NewGuid():N}";
        var anonymous = $"ANON_{Guid.NewGuid():N}";
        await PostAsync(new { @event = name, userId = "q user/1?x" }, new { @event = anonymous, anonymousId = "anon #2" });

        var cut = RenderPage<QuarantinePage>();

        cut.WaitForAssertion(() =>
        {
            var rows = cut.FindAll("[data-testid=quarantine] tbody tr");
            var link = Assert.Single(rows, r => r.TextContent.Contains(name)).QuerySelector("a[data-testid=person-link]")!;
            Assert.Equal("people/q%20user%2F1%3Fx", link.GetAttribute("href"));
            Assert.Equal("q user/1?x", link.TextContent);
            Assert.Equal("people/anon%20%232",
                Assert.Single(rows, r => r.TextContent.Contains(anonymous)).QuerySelector("a[data-testid=person-link]")!.GetAttribute("href"));
        }, Timeout);
    }

    [Fact]
    public async Task Render_EventFilter_ShowsOnlyThatEvent()
    {
        var wanted = $"WANTED_{Guid.NewGuid():N}";
        var other = $"OTHER_{Guid.NewGuid():N}";
        await PostAsync(new { @event = wanted, userId = "q-1" }, new { @event = other, userId = "q-2" });

        var cut = RenderPage<QuarantinePage>(uri: $"quarantine?event={wanted}");

        cut.WaitForAssertion(() =>
        {
            var row = Assert.Single(cut.FindAll("[data-testid=quarantine] tbody tr"));
            Assert.Contains(wanted, row.TextContent);
            Assert.DoesNotContain(other, cut.Markup);
        }, Timeout);
    }

    [Fact]
    public void Render_EmptyQuarantine_ShowsEmptyState()
    {
        var cut = RenderPage<QuarantinePage>();

        cut.WaitForAssertion(() =>
            Assert.Contains("Nothing in quarantine", cut.Find("[data-testid=empty-state]").TextContent), Timeout);
        Assert.True(cut.Find("[data-testid=replay-all]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task ReplayAll_AfterTheEventIsDefined_StoresItAndEmptiesTheList()
    {
        var name = $"LATE_{Guid.NewGuid():N}";
        var messageId = $"{name}-m1";
        await PostAsync(new { @event = name, userId = "q-replay", messageId });
        var errors = await Factory.Services.GetRequiredService<TaxonomyEditor>().SaveAsync(new EventDefinition { Name = name });
        Assert.Empty(errors);
        var cut = RenderPage<QuarantinePage>(uri: $"quarantine?event={name}");
        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-testid=replay-all]").HasAttribute("disabled")), Timeout);

        await cut.Find("[data-testid=replay-all]").ClickAsync(new());

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=empty-state]")), Timeout);
        await using var db = Factory.CreateDbContext();
        Assert.Equal(name, (await db.Events.AsNoTracking().SingleAsync(e => e.MessageId == messageId)).Name);
        Assert.NotNull((await db.Quarantine.AsNoTracking().SingleAsync(q => q.EventName == name)).ReplayedAt);
    }
}
