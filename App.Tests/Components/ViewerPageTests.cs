using Bunit;
using Dashboard.Components.Pages.Events;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Tests.Components;

/// <summary>What a signed-in viewer sees on pages that admins can change: no edit controls, and the page refuses a write anyway.</summary>
public sealed class ViewerPageTests : PageTestBase
{
    [Fact]
    public async Task EditPage_Viewer_IsReadOnlyAndRefusesToSave()
    {
        SignInAsViewer();
        var cut = RenderPage<EventDefinitionEditPage>(p => p.Add(x => x.Name, "USER_REGISTERED"));
        cut.WaitForAssertion(() => Assert.Contains("Only admins can change the taxonomy", cut.Find("[data-testid=read-only]").TextContent), Timeout);
        Assert.True(cut.Find("button[data-testid=save]").HasAttribute("disabled"));
        Assert.DoesNotContain(cut.FindAll("button"), b => b.TextContent.Trim() == "Delete");

        // Even a submit that reaches the server (the form is disabled in the browser) changes nothing.
        cut.Find("input[data-testid=event-name]").Change("RENAMED_BY_VIEWER");
        await cut.Find("form").SubmitAsync();

        cut.WaitForAssertion(() => Assert.Contains("Only admins can change the taxonomy.", cut.Find("[data-testid=errors]").TextContent), Timeout);
        await using var db = Factory.CreateDbContext();
        Assert.False(await db.EventDefinitions.AnyAsync(d => d.Name == "RENAMED_BY_VIEWER"));
        Assert.True(await db.EventDefinitions.AnyAsync(d => d.Name == "USER_REGISTERED"));
    }

    [Fact]
    public async Task QuarantinePage_Viewer_ShowsItemsWithoutReplayButtons()
    {
        var name = $"UNKNOWN_{Guid.NewGuid():N}";
        await PostAsync(new { @event = name, userId = "q-viewer" });
        SignInAsViewer();

        var cut = RenderPage<QuarantinePage>();

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=quarantine] tbody tr"), r => r.TextContent.Contains(name)), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=replay-all]"));
        Assert.Empty(cut.FindAll("[data-testid=replay-selected]"));
    }

    [Fact]
    public void DefinitionsPage_Viewer_HasNoNewEventButton()
    {
        SignInAsViewer();

        var cut = RenderPage<EventDefinitionsPage>();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=definitions] tbody tr")), Timeout);
        Assert.Empty(cut.FindAll("a[href='events/new']"));
    }

    [Fact]
    public void DefinitionsPage_Admin_HasNewEventButton()
    {
        var cut = RenderPage<EventDefinitionsPage>();

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("a[href='events/new']")), Timeout);
    }
}
