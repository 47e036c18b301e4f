using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Dashboard.Tests.Browser;

/// <summary>The analytics pages on the demo data set, in Chromium: charts drawn under the content security policy, funnels in the URL and saved.</summary>
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

    /// <summary>Opens a MudSelect by its test id and picks the item with the text.</summary>
    private static async Task PickAsync(IPage page, string testId, string item)
    {
        await page.Locator($"[data-testid={testId}]").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = item }).First.ClickAsync();
    }
}
