using Bunit;
using Dashboard.Access;
using Dashboard.Components.Pages.Admin;
using Dashboard.Tests.TestSupport;
using MudBlazor;

namespace Dashboard.Tests.Components.Admin;

public sealed class PeoplePageTests : PageTestBase
{
    [Fact]
    public async Task Add_NameAndPassword_ListsTheNewViewerWhoCanSignIn()
    {
        var userName = $"pm-{Guid.NewGuid():N}"[..12];
        var cut = RenderPage<PeoplePage>();
        cut.WaitForAssertion(() => Assert.Contains(AccountRoles.BootstrapAdmin, cut.Find("[data-testid=people]").TextContent), Timeout);

        cut.Find("input[data-testid=new-user-name]").Change(userName);
        cut.Find("input[data-testid=new-user-password]").Change("Product-Pass-9");
        cut.Find("button[data-testid=create-user]").Click();

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=people] tbody tr"), r => r.TextContent.Contains(userName)), Timeout);
        var person = (await People().ListAsync()).Single(p => p.UserName == userName);
        Assert.Equal(AccountRoles.Viewer, person.Role);
        using var client = Factory.CreateBrowserLikeClient();
        Assert.Equal(System.Net.HttpStatusCode.Redirect, (await DashboardFactory.SignInAsync(client, userName, "Product-Pass-9")).StatusCode);
    }

    [Fact]
    public void Add_WeakPassword_ShowsIdentitysReasons()
    {
        var cut = RenderPage<PeoplePage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=people]"), Timeout);

        cut.Find("input[data-testid=new-user-name]").Change("weak-one");
        cut.Find("input[data-testid=new-user-password]").Change("short");
        cut.Find("button[data-testid=create-user]").Click();

        cut.WaitForAssertion(() => Assert.Contains("at least 10 characters", cut.Find("[data-testid=errors]").TextContent), Timeout);
        Assert.DoesNotContain("weak-one", cut.Find("[data-testid=people]").TextContent);
    }

    [Fact]
    public void Remove_LastAdmin_IsRefusedWithAReason()
    {
        var dialogs = Context.Render<MudDialogProvider>();
        var cut = RenderPage<PeoplePage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=people]"), Timeout);

        var row = cut.FindAll("[data-testid=people] tbody tr").Single(r => r.TextContent.Contains(AccountRoles.BootstrapAdmin));
        row.QuerySelectorAll("button").Single(b => b.TextContent.Trim() == "Remove").Click();
        dialogs.WaitForAssertion(() => dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Remove").Click(), Timeout);

        cut.WaitForAssertion(() => Assert.Contains("admin is the last admin and cannot be removed.", cut.Find("[data-testid=errors]").TextContent), Timeout);
        Assert.Contains(AccountRoles.BootstrapAdmin, cut.Find("[data-testid=people]").TextContent);
    }

    private PeopleAdmin People() => (PeopleAdmin)Factory.Services.GetService(typeof(PeopleAdmin))!;
}
