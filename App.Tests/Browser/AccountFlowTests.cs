using System.Text.RegularExpressions;
using Dashboard.Access;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Dashboard.Tests.Browser;

/// <summary>People management and role checks, end to end in Chromium.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AccountFlowTests(BrowserFixture browser)
{
    [BrowserFact]
    public async Task Admin_CreatesViewer_ViewerIsRefusedAdminPagesAndSeesTheDashboards()
    {
        var userName = $"viewer-{Guid.NewGuid():N}"[..15];
        const string password = "Viewer-Pass-42";

        await using (var admin = await browser.OpenAsync())
        {
            var page = admin.Page;
            await admin.GotoAsync("/admin/people");
            await admin.WaitForInteractiveAsync();
            await Expect(page.Locator("h1")).ToHaveTextAsync("People");

            await page.Locator("input[data-testid=new-user-name]").FillAsync(userName);
            await page.Locator("input[data-testid=new-user-password]").FillAsync(password);
            await page.Locator("[data-testid=create-user]").ClickAsync();
            var row = page.Locator("[data-testid=people] tbody tr", new() { HasText = userName });
            await Expect(row).ToHaveCountAsync(1);
            Assert.Equal(AccountRoles.Viewer, (await browser.People.ListAsync()).Single(p => p.UserName == userName).Role);

            // Sign out through the user menu in the app bar.
            await page.Locator("[data-testid=user-menu] button, button[data-testid=user-menu]").First.ClickAsync();
            await page.Locator("[data-testid=sign-out]").ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/account/login$"));
            var afterSignOut = await admin.GotoAsync("/admin/people");
            Assert.Contains("/account/login?returnUrl=%2Fadmin%2Fpeople", afterSignOut!.Url);
            Assert.Empty(admin.Errors);
        }

        await using var viewer = await browser.OpenAsync(signedIn: false);
        await BrowserFixture.SignInAsync(viewer, userName, password, "/account/login?returnUrl=%2Fevents");
        await Expect(viewer.Page).ToHaveURLAsync(new Regex("/events$"));

        foreach (var path in new[] { "/admin/people", "/admin/keys" })
        {
            var response = await viewer.GotoAsync(path);
            Assert.Equal(403, response!.Status);
            await Expect(viewer.Page.Locator("h1")).ToHaveTextAsync("Access denied");
            await Expect(viewer.Page.Locator("[data-testid=people], [data-testid=keys]")).ToHaveCountAsync(0);
        }

        foreach (var (path, heading) in new[] { ("/", "Weekly review"), ("/funnels", "Funnels"), ("/events", "Event definitions"), ("/quarantine", "Quarantine") })
        {
            var response = await viewer.GotoAsync(path);
            Assert.Equal(200, response!.Status);
            await Expect(viewer.Page.Locator("h1")).ToHaveTextAsync(heading);
        }
        await viewer.WaitForInteractiveAsync();
        // The app bar names the viewer; the menu has no admin links and the page no admin buttons.
        await Expect(viewer.Page.Locator(".mud-appbar")).ToContainTextAsync(userName);
        await Expect(viewer.Page.GetByRole(AriaRole.Link, new() { Name = "Team" })).ToHaveCountAsync(0);
        await Expect(viewer.Page.GetByRole(AriaRole.Link, new() { Name = "API keys" })).ToHaveCountAsync(0);
        await Expect(viewer.Page.Locator("[data-testid=replay-all]")).ToHaveCountAsync(0);

        // The two refused pages are answered 403, which Chromium logs; nothing else may be.
        Assert.DoesNotContain(viewer.Errors, e => !(e.Text.Contains("status of 403", StringComparison.Ordinal)
                                                    && (e.IsErrorStatusOf(new Uri(browser.ServerAddress, "/admin/people").ToString())
                                                        || e.IsErrorStatusOf(new Uri(browser.ServerAddress, "/admin/keys").ToString()))));
    }

    [BrowserFact]
    public async Task SignInPage_Anonymous_RendersUnderTheContentSecurityPolicy()
    {
        await using var session = await browser.OpenAsync(signedIn: false);

        var response = await session.GotoAsync("/quarantine");

        Assert.Equal(200, response!.Status);
        await Expect(session.Page).ToHaveURLAsync(new Regex("/account/login\\?returnUrl=%2Fquarantine$"));
        await Expect(session.Page.Locator("h1")).ToHaveTextAsync("Sign in");
        Assert.NotNull(response.Headers.GetValueOrDefault("content-security-policy"));
        Assert.Empty(session.Errors);
    }

    [BrowserFact]
    public async Task SignIn_WrongPassword_StaysOnTheFormWithAnError()
    {
        await using var session = await browser.OpenAsync(signedIn: false);
        await session.GotoAsync("/account/login");

        await session.Page.Locator("#username").FillAsync("nobody-here");
        await session.Page.Locator("#password").FillAsync("Wrong-Pass-999");
        await session.Page.Locator("[data-testid=sign-in]").ClickAsync();

        await Expect(session.Page.Locator("[data-testid=login-error]")).ToHaveTextAsync("The user name or password is not correct.");
        Assert.Empty(session.Errors);
    }
}
