using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Dashboard.Tests.Browser;

/// <summary>Finding a person by a trait on the people page and opening their page.</summary>
[Collection(BrowserCollection.Name)]
public sealed class PeopleFlowTests(BrowserFixture browser)
{
    [BrowserFact]
    public async Task Search_ByTraitTypedInTheBox_ListsThePerson_AndOpensTheirTimeline()
    {
        var user = $"browser-person-{Guid.NewGuid():N}";
        var plan = $"plan{Guid.NewGuid():N}"[..16];
        using (var client = browser.CreateIngestClient())
        {
            var response = await client.PostAsJsonAsync("/ingest", new
            {
                batch = new object[]
                {
                    new Dictionary<string, object> { ["type"] = "identify", ["userId"] = user, ["traits"] = new Dictionary<string, object> { [plan] = "team" } },
                    new { @event = "APP_OPENED", userId = user, properties = new { source = "browser-test" } },
                },
            });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await using var session = await browser.OpenAsync();
        var page = session.Page;
        await session.GotoAsync("/people");
        await session.WaitForInteractiveAsync();

        await page.GetByLabel("Search people").FillAsync($"{plan}:team");
        var link = page.Locator("[data-testid=person-link]", new() { HasText = user });
        await Expect(link).ToHaveCountAsync(1);
        await Expect(page).ToHaveURLAsync(new Regex($"/people\\?search={plan}%3Ateam$"));
        await Expect(page.Locator("[data-testid=person-link]")).ToHaveCountAsync(1);

        await link.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"/people/{user}$"));
        await Expect(page.Locator("[data-testid=person-id]")).ToHaveTextAsync(user);
        var evt = page.Locator("[data-testid=event]", new() { HasText = "APP_OPENED" });
        await Expect(evt).ToHaveCountAsync(1);
        await evt.Locator("summary").ClickAsync();
        await Expect(evt.Locator("pre")).ToContainTextAsync("browser-test");
        Assert.Empty(session.Errors);
    }
}
