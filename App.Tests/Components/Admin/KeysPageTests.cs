using System.Net;
using Bunit;
using Dashboard.Access;
using Dashboard.Components.Pages.Admin;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace Dashboard.Tests.Components.Admin;

public sealed class KeysPageTests : PageTestBase
{
    private const string OneEvent = """{ "event": "APP_OPENED", "userId": "keys-page" }""";

    [Fact]
    public void Render_NoKeysCreated_ShowsEmptyState()
    {
        var cut = RenderPage<KeysPage>();

        cut.WaitForAssertion(() => Assert.Contains("No keys have been created here yet", cut.Find("[data-testid=empty-state]").TextContent), Timeout);
    }

    [Fact]
    public async Task CreateThenRevoke_WriteKey_IsShownOnceWorksForIngestThenStops()
    {
        var dialogs = Context.Render<MudDialogProvider>();
        var cut = RenderPage<KeysPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=empty-state]"), Timeout);

        cut.Find("input[data-testid=key-name]").Change("web front end");
        cut.Find("button[data-testid=create-key]").Click();

        string key = "";
        cut.WaitForAssertion(() => key = cut.Find("[data-testid=new-key]").TextContent.Trim(), Timeout);
        Assert.StartsWith("wk_", key);
        cut.WaitForAssertion(() =>
        {
            var row = Assert.Single(cut.FindAll("[data-testid=keys] tbody tr"));
            Assert.Contains("web front end", row.TextContent);
            Assert.Contains(key[..7], row.TextContent);
            Assert.Contains("write", row.TextContent);
            Assert.Contains("active", row.TextContent);
            Assert.DoesNotContain(key, row.TextContent);
        }, Timeout);

        // Only the hash is stored, and a new visit to the page no longer shows the key.
        await using (var db = Factory.CreateDbContext())
        {
            var stored = await db.ApiKeys.AsNoTracking().SingleAsync(k => k.Name == "web front end");
            Assert.Equal(ApiKeyStore.Hash(key), stored.Hash);
            Assert.DoesNotContain(key, $"{stored.Name} {stored.Prefix} {stored.Hash} {stored.Role}");
        }
        var again = Context.Render<KeysPage>();
        again.WaitForAssertion(() => Assert.Single(again.FindAll("[data-testid=keys] tbody tr")), Timeout);
        Assert.DoesNotContain(key, again.Markup);
        Assert.Empty(again.FindAll("[data-testid=new-key]"));

        Assert.Equal(HttpStatusCode.OK, await IngestAsync(key));

        cut.Find("button[data-testid=revoke]").Click();
        dialogs.WaitForAssertion(() => dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Revoke").Click(), Timeout);

        cut.WaitForAssertion(() =>
        {
            var row = Assert.Single(cut.FindAll("[data-testid=keys] tbody tr"));
            Assert.DoesNotContain("active", row.TextContent);
            Assert.Empty(cut.FindAll("button[data-testid=revoke]"));
        }, Timeout);
        Assert.Equal(HttpStatusCode.Unauthorized, await IngestAsync(key));
    }

    [Fact]
    public void Create_NoName_ShowsErrorAndCreatesNothing()
    {
        var cut = RenderPage<KeysPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=empty-state]"), Timeout);

        cut.Find("button[data-testid=create-key]").Click();

        cut.WaitForAssertion(() => Assert.Contains("A key needs a name", cut.Find("[data-testid=errors]").TextContent), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=new-key]"));
    }

    private async Task<HttpStatusCode> IngestAsync(string key)
    {
        using var client = Factory.CreateIngestClient(key);
        using var response = await client.PostAsync("/ingest", new StringContent(OneEvent, System.Text.Encoding.UTF8, "application/json"));
        return response.StatusCode;
    }
}
