using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dashboard.Data;
using Dashboard.Flags;
using Dashboard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Dashboard.Tests.Browser;

/// <summary>Changing flags in the pages and seeing the store and OFREP follow.</summary>
[Collection(BrowserCollection.Name)]
public sealed class FlagFlowTests(BrowserFixture browser)
{
    [BrowserFact]
    public async Task Rollout_RaisedInTheUi_TurnsTheUserOnInOfrep()
    {
        var key = $"ui_rollout_{Guid.NewGuid():N}"[..24];
        const string user = "browser-user-1";
        var bucket = Bucketing.RolloutBucket(key, user);
        await using (var db = browser.CreateDbContext())
        {
            // Just below the user's bucket: off. The page must raise it to just above.
            db.Flags.Add(new FlagRecord { Key = key, Enabled = true, RolloutBasisPoints = bucket, UpdatedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
            await db.SaveChangesAsync();
        }
        using var ofrep = browser.CreateHttpClient(DashboardFactory.ClientKey);
        async Task<bool> EvaluateAsync()
        {
            using var response = await ofrep.PostAsync($"/ofrep/v1/evaluate/flags/{key}",
                new StringContent($$"""{ "context": { "targetingKey": "{{user}}" } }""", Encoding.UTF8, "application/json"));
            var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            return json.TryGetProperty("value", out var v) && v.GetBoolean();
        }
        // The flag was written to the store directly: the periodic reload serves it.
        await Eventually.ReadAsync(async () =>
        {
            using var probe = await ofrep.PostAsync($"/ofrep/v1/evaluate/flags/{key}", new StringContent("""{ "context": { "targetingKey": "x" } }""", Encoding.UTF8, "application/json"));
            return probe.IsSuccessStatusCode;
        }, ok => ok, TimeSpan.FromSeconds(5));
        Assert.False(await EvaluateAsync());

        await using var session = await browser.OpenAsync();
        var page = session.Page;
        await session.GotoAsync($"/flags/{key}");
        await session.WaitForInteractiveAsync();
        var rollout = page.Locator("input[data-testid=rollout-number]");
        await rollout.FillAsync(((bucket + 1) / 100m).ToString("0.##", CultureInfo.InvariantCulture));
        await rollout.PressAsync("Tab");
        await page.Locator("[data-testid=save]").ClickAsync();
        await Expect(page.Locator("[data-testid=history-entry]").First).ToContainTextAsync("Rollout:");

        var saved = DateTime.UtcNow;
        var on = await Eventually.ReadAsync(EvaluateAsync, on => on, TimeSpan.FromSeconds(3));
        Assert.True(on, "the evaluation did not change after the rollout was raised in the page");
        Assert.True(DateTime.UtcNow - saved < TimeSpan.FromSeconds(1), $"served after {(DateTime.UtcNow - saved).TotalMilliseconds:N0} ms");

        await using var check = browser.CreateDbContext();
        var audit = await check.FlagAudit.AsNoTracking().SingleAsync(a => a.FlagKey == key);
        Assert.Equal("admin", audit.Actor);
        Assert.Empty(session.Errors);
    }

    [BrowserFact]
    public async Task ListSwitch_SpaceKeyAndConfirmation_TurnsTheFlagOff()
    {
        var key = $"ui_kill_{Guid.NewGuid():N}"[..20];
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using (var db = browser.CreateDbContext())
        {
            db.Flags.Add(new FlagRecord { Key = key, Enabled = true, RolloutBasisPoints = 10_000, UpdatedAt = now });
            db.FlagEvaluationCounts.Add(new FlagEvaluationCount { FlagKey = key, HourStart = now - now % 3_600_000, Count = 3 });
            await db.SaveChangesAsync();
        }

        await using var session = await browser.OpenAsync();
        var page = session.Page;
        await session.GotoAsync($"/flags?q={key}");
        await session.WaitForInteractiveAsync();
        var toggle = page.GetByRole(AriaRole.Switch, new() { Name = $"{key} enabled" })
            .Or(page.GetByRole(AriaRole.Checkbox, new() { Name = $"{key} enabled" }));
        await Expect(toggle).ToBeCheckedAsync();

        // Keyboard only: focus the switch, Space asks, Enter on the focused confirmation saves.
        await toggle.FocusAsync();
        await page.Keyboard.PressAsync("Space");
        var confirm = page.GetByRole(AriaRole.Button, new() { Name = "Save the change" });
        await Expect(page.GetByText("it was evaluated 3 times in the last 24 hours", new() { Exact = false })).ToBeVisibleAsync();
        await confirm.FocusAsync();
        await page.Keyboard.PressAsync("Enter");

        // The row's status comes from the store, reloaded after the save.
        await Expect(page.Locator("[data-testid=flags] tbody tr", new() { HasText = key }).Locator("[data-testid=status]")).ToHaveTextAsync("off");
        await Expect(toggle).Not.ToBeCheckedAsync();
        await using var check = browser.CreateDbContext();
        Assert.False((await check.Flags.AsNoTracking().SingleAsync(f => f.Key == key)).Enabled);
        Assert.Equal("admin", (await check.FlagAudit.AsNoTracking().SingleAsync(a => a.FlagKey == key)).Actor);
        Assert.Empty(session.Errors);
    }
}
