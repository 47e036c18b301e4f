using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Dashboard.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class ExperimentFlowTests(BrowserFixture browser)
{
    [BrowserFact]
    public async Task Open_DemoExperiment_ShowsARealComparison()
    {
        await using var session = await browser.OpenAsync(ColorScheme.Dark);
        await session.GotoAsync("/experiments");
        await session.WaitForInteractiveAsync();

        await session.Page.GetByRole(AriaRole.Link, new() { Name = "new-onboarding-flow" }).ClickAsync();

        await Expect(session.Page.Locator("h1")).ToHaveTextAsync("new-onboarding-flow");
        var rows = session.Page.Locator("[data-testid=variants] tbody tr");
        await Expect(rows.First).ToContainTextAsync("control");
        await Expect(rows.Nth(1)).ToContainTextAsync("new_flow");
        // The demo's new flow converts far better than control: a dot right of zero and a verdict in words.
        await Expect(session.Page.Locator("[data-testid=lift-chart] circle")).ToHaveCountAsync(1);
        await Expect(session.Page.Locator("[data-testid=verdict]")).ToContainTextAsync("New_flow");
        await Expect(session.Page.Locator("[data-testid=progress]")).ToContainTextAsync("users in the smallest variant");
        await Expect(session.Page.Locator("[data-testid=srm-warning]")).ToHaveCountAsync(0);
        await Expect(session.Page.Locator("[data-testid=conversion-chart] polyline")).ToHaveCountAsync(2);
        // The always-valid interval beside the fixed-horizon one, and the demo's secondary metric.
        await Expect(session.Page.Locator("[data-testid=variants] [data-testid=sequential]")).ToContainTextAsync("pts to");
        await Expect(session.Page.Locator("[data-testid=analysis]")).ToContainTextAsync("sequential analysis");
        await Expect(session.Page.Locator("[data-testid=metrics]")).ToContainTextAsync("FEATURE_ENGAGED (secondary, should increase)");
        Assert.Empty(session.Errors);
    }
}
