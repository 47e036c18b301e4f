using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Dashboard.Tests.Browser;

/// <summary>The analytics pages on the demo data set, in Chromium: charts drawn under the content security policy, funnels in the URL and saved, a shared trend's URL.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AnalyticsPagesTests(BrowserFixture browser)
{
    [BrowserFact]
    public async Task WeeklyReview_DemoData_DrawsChartsAndSparklinesInBothThemes()
    {
        await using var session = await browser.OpenAsync();
        await session.GotoAsync("/");
        await session.WaitForInteractiveAsync();

        await Expect(session.Page.Locator("[data-testid=chart-daily] svg").First).ToBeVisibleAsync();
        await Expect(session.Page.Locator("[data-testid=tile-active-spark] svg").First).ToBeVisibleAsync();
        await Expect(session.Page.Locator("[data-testid=tile-active] [data-testid=delta]")).ToHaveCountAsync(1);
        await Expect(session.Page.Locator("[data-testid=top-features] tbody tr").First).ToBeVisibleAsync();

        // The chart follows the theme: flipping it redraws the chart in the other mode.
        var darkBefore = await session.IsDarkAsync();
        await session.Page.Locator("[data-testid=theme-toggle]").ClickAsync();
        await session.WaitForDarkAsync(!darkBefore);
        await Expect(session.Page.Locator("[data-testid=chart-daily] svg").First).ToBeVisibleAsync();

        Assert.Empty(session.Errors);
    }

    [BrowserFact]
    public async Task Funnel_BuiltInTheUi_IsInTheUrlAndCanBeSavedReopenedAndDeleted()
    {
        await using var session = await browser.OpenAsync();
        var page = session.Page;
        await session.GotoAsync("/funnels");
        await session.WaitForInteractiveAsync();
        await Expect(page.Locator("[data-testid=pick-steps]")).ToBeVisibleAsync();

        await PickAsync(page, "step-1", "USER_REGISTERED");
        await PickAsync(page, "step-2", "PROJECT_CREATED");

        await Expect(page).ToHaveURLAsync(new Regex("steps=USER_REGISTERED(%2C|,)PROJECT_CREATED"));
        await Expect(page.Locator("[data-testid=chart-funnel] svg").First).ToBeVisibleAsync();
        await Expect(page.Locator("[data-testid=funnel-steps] tbody tr")).ToHaveCountAsync(2);
        var funnelUrl = page.Url;

        var name = $"Signup to project {Guid.NewGuid():N}"[..26];
        await page.Locator("input[data-testid=funnel-name]").FillAsync(name);
        await page.Locator("[data-testid=save-funnel]").ClickAsync();
        await Expect(page.Locator("[data-testid=save-message]")).ToContainTextAsync("Saved");
        var saved = page.Locator("[data-testid=open-funnel]", new() { HasText = name });
        await Expect(saved).ToHaveCountAsync(1);

        // A fresh visit has no steps; the saved funnel brings the whole view back.
        await session.GotoAsync("/funnels");
        await session.WaitForInteractiveAsync();
        await Expect(page.Locator("[data-testid=pick-steps]")).ToBeVisibleAsync();
        await page.Locator("[data-testid=open-funnel]", new() { HasText = name }).ClickAsync();
        await Expect(page).ToHaveURLAsync(funnelUrl);
        await Expect(page.Locator("[data-testid=funnel-steps] tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator("[data-testid=chart-funnel] svg").First).ToBeVisibleAsync();

        var row = page.Locator("[data-testid=saved-funnels] tr", new() { HasText = name });
        await row.Locator("[data-testid=delete-funnel]").ClickAsync();
        await Expect(page.Locator("[data-testid=open-funnel]", new() { HasText = name })).ToHaveCountAsync(0);

        Assert.Empty(session.Errors);
    }

    [BrowserFact]
    public async Task Trend_SharedUrl_RestoresTheViewWithItsNumbers()
    {
        // Events marked with a unique source, so the demo data's events do not count: u1 twice and
        // u2 once two days ago, u1 once yesterday.
        var source = $"trend-{Guid.NewGuid():N}"[..20];
        var day = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-2);
        var events = new[] { ("u1", day, 9), ("u1", day, 10), ("u2", day, 11), ("u1", day.AddDays(1), 9) }
            .Select(e => new { @event = "APP_OPENED", userId = $"{source}-{e.Item1}", timestamp = $"{e.Item2:yyyy-MM-dd}T{e.Item3:00}:00:00Z", properties = new { source } })
            .ToArray();
        using (var client = browser.CreateIngestClient())
            Assert.Equal(System.Net.HttpStatusCode.OK, (await client.PostAsJsonAsync("/ingest", new { batch = events })).StatusCode);
        await WaitForEventsAsync(source, events.Length);

        await using var session = await browser.OpenAsync();
        var page = session.Page;
        await session.GotoAsync($"/trends?event=APP_OPENED&where=source%3D{source}&measure=users&from={day:yyyy-MM-dd}&to={day.AddDays(1):yyyy-MM-dd}&chart=bar&compare=previous");
        await session.WaitForInteractiveAsync();

        await Expect(page.Locator("[data-testid=chart-trend] svg").First).ToBeVisibleAsync();
        var rows = page.Locator("[data-testid=trend-row]");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(rows.Nth(0)).ToHaveTextAsync(new Regex($@"^\s*{day:yyyy-MM-dd}\s*2\s*0\s*$"));
        await Expect(rows.Nth(1)).ToHaveTextAsync(new Regex($@"^\s*{day.AddDays(1):yyyy-MM-dd}\s*1\s*0\s*$"));
        await Expect(page.Locator("[data-testid=trend-total]")).ToHaveTextAsync(new Regex(@"Total\s*2\s*0"));
        await Expect(page.Locator("input[data-testid=where-value-1], [data-testid=where-value-1] input").First).ToHaveValueAsync(source);
        await Expect(page.GetByLabel("Compare with previous period")).ToBeCheckedAsync();
        Assert.Empty(session.Errors);
    }

    /// <summary>Ingest answers before the batch writer commits: waits until the store holds the events.</summary>
    private async Task WaitForEventsAsync(string marker, int count)
    {
        for (var i = 0; i < 100; i++)
        {
            await using var db = browser.CreateDbContext();
            if (await db.Events.CountAsync(e => e.Properties.Contains(marker)) >= count) return;
            await Task.Delay(100);
        }
        Assert.Fail($"the {count} events marked {marker} were not stored within 10 s");
    }

    /// <summary>Opens a MudSelect by its test id and picks the item with the text.</summary>
    private static async Task PickAsync(IPage page, string testId, string item)
    {
        await page.Locator($"[data-testid={testId}]").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = item }).First.ClickAsync();
    }
}
