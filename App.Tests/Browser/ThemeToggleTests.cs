using Microsoft.Playwright;

namespace Dashboard.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class ThemeToggleTests(BrowserFixture browser)
{
    private const string Toggle = "[data-testid=theme-toggle]";

    [BrowserFact]
    public async Task Toggle_Click_SwitchesToLightAndBackToDark()
    {
        await using var session = await browser.OpenAsync(ColorScheme.Dark);
        await session.GotoAsync("/events");
        // The prerendered page is light; the circuit asks the browser and follows its dark preference.
        // Once that has happened the circuit is interactive and nothing else resets the theme.
        await session.WaitForDarkAsync(true);

        await session.Page.Locator(Toggle).ClickAsync();
        await session.WaitForDarkAsync(false);
        await session.Page.Locator(Toggle).ClickAsync();
        await session.WaitForDarkAsync(true);

        Assert.Empty(session.Errors);
    }

    [BrowserFact]
    public async Task Layout_SystemPrefersLight_StartsLightAndTogglesToDark()
    {
        await using var session = await browser.OpenAsync(ColorScheme.Light);
        await session.GotoAsync("/");

        var startedDark = await session.WaitForInteractiveAsync();

        Assert.False(startedDark);
        Assert.Empty(session.Errors);
    }
}
