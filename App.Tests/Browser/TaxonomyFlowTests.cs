using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Dashboard.Tests.Browser;

/// <summary>Editing the taxonomy and recovering quarantined events through the UI.</summary>
[Collection(BrowserCollection.Name)]
public sealed class TaxonomyFlowTests(BrowserFixture browser)
{
    [BrowserFact]
    public async Task NewEventForm_NameAndProperty_IsSavedAndListed()
    {
        var name = UniqueName("UI_CREATED");
        await using var session = await browser.OpenAsync();
        var page = session.Page;
        await session.GotoAsync("/events/new");
        await session.WaitForInteractiveAsync();

        await page.Locator("[data-testid=event-name]").FillAsync(name);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add property" }).ClickAsync();
        var propertyName = page.GetByLabel("Name", new() { Exact = true });
        await Expect(propertyName).ToBeVisibleAsync();
        await propertyName.FillAsync("orderId");
        await page.GetByLabel("Required", new() { Exact = true }).CheckAsync();
        await page.Locator("[data-testid=save]").ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex("/events$"));
        var row = page.Locator("[data-testid=definitions] tbody tr", new() { HasText = name });
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row.Locator("td").Nth(1)).ToHaveTextAsync("1");

        await using var db = browser.CreateDbContext();
        var saved = await db.EventDefinitions.AsNoTracking().SingleAsync(d => d.Name == name);
        var property = Assert.Single(saved.Properties);
        Assert.Equal("orderId", property.Name);
        Assert.True(property.Required);
        Assert.Empty(session.Errors);
    }

    [BrowserFact]
    public async Task Quarantine_UnknownEventDefinedThenReplayed_IsStored()
    {
        var name = UniqueName("UI_REPLAY");
        var messageId = $"{name}-1";
        using (var client = browser.CreateIngestClient())
        {
            var response = await client.PostAsJsonAsync("/ingest",
                new { @event = name, userId = "browser-replay-user", messageId, properties = new { plan = "pro" } });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(0, body.GetProperty("accepted").GetInt32());
            Assert.Equal("unknown_event", Assert.Single(body.GetProperty("rejected").EnumerateArray()).GetProperty("code").GetString());
        }

        await using var session = await browser.OpenAsync();
        var page = session.Page;

        // The quarantine shows the item with its reason.
        await session.GotoAsync("/quarantine");
        await session.WaitForInteractiveAsync();
        // A quarantined row, not the empty state (which names the filtered event too).
        var item = page.Locator("[data-testid=quarantine] tbody tr:not(:has([data-testid=empty-state]))", new() { HasText = name });
        await Expect(item).ToHaveCountAsync(1);
        await Expect(item).ToContainTextAsync("unknown_event");

        // The definitions page lists it as sent but not defined; "Define it" opens the form with the name.
        await page.GetByRole(AriaRole.Link, new() { Name = "taxonomy", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/events$"));
        var undefinedRow = page.Locator("tr", new() { HasText = name });
        await Expect(undefinedRow).ToHaveCountAsync(1);
        await undefinedRow.GetByRole(AriaRole.Link, new() { Name = "Define it" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/events/new\\?name="));
        await Expect(page.Locator("[data-testid=event-name]")).ToHaveValueAsync(name);
        await page.Locator("[data-testid=save]").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/events$"));
        await Expect(page.Locator("[data-testid=definitions] tbody tr", new() { HasText = name })).ToHaveCountAsync(1);

        // The definition now counts the violation; its link opens the quarantine filtered to the event.
        var definedRow = page.Locator("[data-testid=definitions] tbody tr", new() { HasText = name });
        await definedRow.GetByRole(AriaRole.Link, new() { Name = "1", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"/quarantine\\?event={name}$"));
        await Expect(item).ToHaveCountAsync(1);
        var replayAll = page.Locator("[data-testid=replay-all]");
        await Expect(replayAll).ToContainTextAsync($"Replay all {name} (1)");
        await Expect(replayAll).ToBeEnabledAsync();
        await replayAll.ClickAsync();
        await Expect(page.Locator(".mud-snackbar", new() { HasText = "Replayed 1" })).ToBeVisibleAsync();
        await Expect(item).ToHaveCountAsync(0);
        await Expect(page.Locator("[data-testid=empty-state]")).ToContainTextAsync($"Nothing in quarantine for {name}");

        await using var db = browser.CreateDbContext();
        var stored = await db.Events.AsNoTracking().SingleAsync(e => e.MessageId == messageId);
        Assert.Equal(name, stored.Name);
        Assert.Contains("\"plan\":\"pro\"", stored.Properties.Replace(" ", ""));
        var quarantined = await db.Quarantine.AsNoTracking().SingleAsync(q => q.EventName == name);
        Assert.NotNull(quarantined.ReplayedAt);
        Assert.Empty(session.Errors);
    }

    private static string UniqueName(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 13)].ToUpperInvariant();
}
