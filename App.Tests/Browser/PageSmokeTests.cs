using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Dashboard.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class PageSmokeTests(BrowserFixture browser)
{
    [BrowserTheory]
    [InlineData("/", 200, "Weekly review")]
    [InlineData("/overview", 200, "Store overview")]
    [InlineData("/activity", 200, "Activity")]
    [InlineData("/activation", 200, "Activation")]
    [InlineData("/funnels", 200, "Funnels")]
    [InlineData("/trends", 200, "Trends")]
    [InlineData("/features", 200, "Feature engagement")]
    [InlineData("/retention", 200, "Retention")]
    [InlineData("/events", 200, "Event definitions")]
    [InlineData("/events/new", 200, "New event")]
    [InlineData("/events/USER_REGISTERED", 200, "USER_REGISTERED")]
    [InlineData("/quarantine", 200, "Quarantine")]
    [InlineData("/experiments", 200, "Experiments")]
    [InlineData("/experiments/new", 200, "New experiment")]
    [InlineData("/experiments/new-onboarding-flow", 200, "new-onboarding-flow")]
    [InlineData("/experiments/new-onboarding-flow/edit", 200, "Edit new-onboarding-flow")]
    [InlineData("/people", 200, "People")]
    [InlineData("/admin/people", 200, "People")]
    [InlineData("/admin/keys", 200, "API keys")]
    [InlineData("/flags", 200, "Feature flags")]
    [InlineData("/flags/new", 200, "New flag")]
    [InlineData("/flags/new_onboarding_flow", 200, "new_onboarding_flow")]
    [InlineData("/events/NOPE", 200, "NOPE")]
    [InlineData("/some-missing-page", 404, "Page not found")]
    public async Task Open_Page_ShowsHeadingWithoutErrors(string path, int status, string heading)
    {
        await using var session = await browser.OpenAsync();
        var response = await session.GotoAsync(path);
        Assert.NotNull(response);
        Assert.Equal(status, response.Status);
        var h1 = session.Page.Locator("h1");
        await Expect(h1).ToHaveTextAsync(heading);

        await session.WaitForInteractiveAsync();
        await Expect(h1).ToHaveTextAsync(heading);
        // The interactive render has loaded its data: no progress bar, no grid still loading.
        // (An indeterminate bar is the loading state; a determinate one, such as an experiment's progress, is content.)
        await Expect(session.Page.Locator(".mud-progress-indeterminate")).ToHaveCountAsync(0);
        await Expect(session.Page.GetByText("Loading…")).ToHaveCountAsync(0);

        // Every script and style loaded under the content security policy: a violation is a console error.
        Assert.DoesNotContain(session.Errors, e => e.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase));
        // A page that answers 404 makes Chromium log the document's status; its status is asserted above.
        Assert.DoesNotContain(session.Errors, e => !(status >= 400 && e.IsErrorStatusOf(response.Url)));
    }

    [BrowserFact]
    public async Task Overview_Favicon_LoadsWithoutConsoleErrors()
    {
        await using var session = await browser.OpenAsync();
        await session.GotoAsync("/overview");
        await session.WaitForInteractiveAsync();
        await Expect(session.Page.Locator("h1")).ToHaveTextAsync("Store overview");

        // The icon the head names, and the /favicon.ico that browsers and tools ask for by themselves.
        var href = await session.Page.Locator("link[rel=icon]").First.GetAttributeAsync("href");
        Assert.False(string.IsNullOrEmpty(href) || href.StartsWith("data:", StringComparison.Ordinal), $"icon link: {href}");
        foreach (var path in new[] { href, "/favicon.ico" })
        {
            var status = await session.Page.EvaluateAsync<int>("async path => (await fetch(path)).status", path);
            Assert.True(status == 200, $"{path}: {status}");
        }
        Assert.Empty(session.Errors);
    }
}
