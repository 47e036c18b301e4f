using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Dashboard.Access;
using Dashboard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Access;

public sealed class AccountTests : IAsyncLifetime
{
    private const int FailureDelayMs = 300;

    private readonly DashboardFactory _factory = new(new Dictionary<string, string?>
    {
        ["Auth:FailedSignInDelayMs"] = FailureDelayMs.ToString(),
        // Everything down to debug level, so the check that secrets are not logged sees every line.
        ["Logging:LogLevel:Default"] = "Debug",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Debug",
    });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static string PathOf(Uri? location) => new Uri(new Uri("http://localhost"), location!).PathAndQuery;

    [Fact]
    public async Task SignIn_ConfiguredAdminPassword_OpensAdminPages()
    {
        using var client = _factory.CreateBrowserLikeClient();

        using var signIn = await DashboardFactory.SignInAsync(client, AccountRoles.BootstrapAdmin, DashboardFactory.AdminPassword, "/admin/people");

        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/admin/people", PathOf(signIn.Headers.Location));
        using var page = await client.GetAsync("/admin/people");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("People", await page.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("https://evil.example/")]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    public async Task SignIn_ReturnUrlOffSite_GoesToTheOverview(string returnUrl)
    {
        using var client = _factory.CreateBrowserLikeClient();

        using var signIn = await DashboardFactory.SignInAsync(client, AccountRoles.BootstrapAdmin, DashboardFactory.AdminPassword, returnUrl);

        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var location = new Uri(new Uri("http://localhost"), signIn.Headers.Location!);
        Assert.Equal(("localhost", "/"), (location.Host, location.PathAndQuery));
    }

    [Fact]
    public async Task SignIn_WrongPassword_IsSlowSetsNoCookieAndSaysSo()
    {
        var (userName, _) = await _factory.CreatePersonAsync(AccountRoles.Viewer);
        using var client = _factory.CreateBrowserLikeClient();

        var clock = Stopwatch.StartNew();
        using var signIn = await DashboardFactory.SignInAsync(client, userName, "Wrong-Pass-999");
        clock.Stop();

        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.Contains("The user name or password is not correct.", await signIn.Content.ReadAsStringAsync());
        Assert.True(clock.ElapsedMilliseconds >= FailureDelayMs, $"answered after {clock.ElapsedMilliseconds} ms");
        Assert.False(signIn.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("dashboard.session=", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task SignIn_FiveFailures_ThrottlesThisAddressWithoutLockingTheAccount()
    {
        var (userName, password) = await _factory.CreatePersonAsync(AccountRoles.Viewer);
        using var client = _factory.CreateBrowserLikeClient();
        for (var i = 0; i < SignInThrottle.MaxFailures; i++)
            Assert.Equal(HttpStatusCode.OK, (await DashboardFactory.SignInAsync(client, userName, "Wrong-Pass-999")).StatusCode);

        using var signIn = await DashboardFactory.SignInAsync(client, userName, password);

        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.Contains("Too many failed sign-ins from this address", await signIn.Content.ReadAsStringAsync());
        // The account itself stays usable: nobody can keep a known user name out by failing on purpose.
        var row = (await _factory.Services.GetRequiredService<PeopleAdmin>().ListAsync()).Single(p => p.UserName == userName);
        Assert.False(row.LockedOut);
        Assert.True(_factory.Services.GetRequiredService<SignInThrottle>().IsAllowed("203.0.113.9", userName));
    }

    [Fact]
    public async Task SignIn_ManyWrongPasswordsAtOnce_OnlyTheBudgetIsChecked()
    {
        var (userName, _) = await _factory.CreatePersonAsync(AccountRoles.Viewer);
        var clients = Enumerable.Range(0, 12).Select(_ => _factory.CreateBrowserLikeClient()).ToList();
        var forms = new List<Dictionary<string, string>>();
        foreach (var client in clients)
        {
            var form = LoginForm.HiddenFields(await client.GetStringAsync("/account/login"));
            form["Input.UserName"] = userName;
            form["Input.Password"] = "Wrong-Pass-999";
            forms.Add(form);
        }

        var answers = await Task.WhenAll(clients.Select((client, i) => Task.Run(async () =>
        {
            using var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(forms[i]));
            return await response.Content.ReadAsStringAsync();
        })));

        Assert.Equal(SignInThrottle.MaxFailures, answers.Count(a => a.Contains("The user name or password is not correct.", StringComparison.Ordinal)));
        Assert.Equal(clients.Count - SignInThrottle.MaxFailures, answers.Count(a => a.Contains("Too many failed sign-ins", StringComparison.Ordinal)));
        foreach (var client in clients) client.Dispose();
    }

    [Fact]
    public async Task SignIn_UnknownUserAndWrongPassword_AnswerAfterTheSameTime()
    {
        var (userName, _) = await _factory.CreatePersonAsync(AccountRoles.Viewer);
        async Task<long> TimeAsync(string name)
        {
            using var client = _factory.CreateBrowserLikeClient();
            var path = "/account/login";
            var form = LoginForm.HiddenFields(await client.GetStringAsync(path));
            form["Input.UserName"] = name;
            form["Input.Password"] = "Wrong-Pass-999";
            var clock = Stopwatch.StartNew();
            using var response = await client.PostAsync(path, new FormUrlEncodedContent(form));
            Assert.Contains("The user name or password is not correct.", await response.Content.ReadAsStringAsync());
            return clock.ElapsedMilliseconds;
        }

        var known = new List<long>();
        var unknown = new List<long>();
        for (var i = 0; i < 4; i++)
        {
            known.Add(await TimeAsync(userName));
            unknown.Add(await TimeAsync($"nobody-{i}"));
        }

        // Both wait out the whole delay from the request's start, the password hash included.
        Assert.All(known.Concat(unknown), ms => Assert.True(ms >= FailureDelayMs, $"answered after {ms} ms"));
        // The quickest of each (the least disturbed by other work on the machine) match: without the
        // padding from the start, the known user's answer would come later by the hash's time.
        var gap = Math.Abs(known.Min() - unknown.Min());
        Assert.True(gap < 80, $"known user {string.Join("/", known)} ms, unknown {string.Join("/", unknown)} ms");
    }

    [Fact]
    public async Task SignIn_UserNameOver256Characters_IsRefusedBeforeAnyCheck()
    {
        using var client = _factory.CreateBrowserLikeClient();

        using var signIn = await DashboardFactory.SignInAsync(client, new string('a', AccountLimits.MaxUserNameLength + 1), "Wrong-Pass-999");

        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.Contains("A user name has at most 256 characters.", await signIn.Content.ReadAsStringAsync());
        Assert.Contains("at most 256", Assert.Single(await _factory.Services.GetRequiredService<PeopleAdmin>()
            .CreateAsync(new string('b', AccountLimits.MaxUserNameLength + 1), AccountRoles.Viewer, "Person-Pass-42")));
    }

    [Fact]
    public async Task SignIn_NoAntiforgeryToken_IsRefused()
    {
        using var client = _factory.CreateBrowserLikeClient();
        var form = new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["Input.UserName"] = AccountRoles.BootstrapAdmin,
            ["Input.Password"] = DashboardFactory.AdminPassword,
        };

        using var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(form));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task SignOut_FormPost_EndsTheSession()
    {
        using var client = await _factory.CreateSessionClientAsync(AccountRoles.Viewer);
        // Any form of the session carries a token for it; the password form is rendered on the server.
        var page = await client.GetStringAsync("/account/password");
        var token = LoginForm.HiddenFields(page)["__RequestVerificationToken"];

        using var signOut = await client.PostAsync("/account/logout",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));

        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal("/account/login", PathOf(signOut.Headers.Location));
        using var after = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/account/login", PathOf(after.Headers.Location));
    }

    [Fact]
    public async Task SignOut_CopiedSessionCookie_StopsWorkingToo()
    {
        var (userName, password) = await _factory.CreatePersonAsync(AccountRoles.Viewer);
        using var client = _factory.CreateBrowserLikeClient();
        using var signIn = await DashboardFactory.SignInAsync(client, userName, password);
        var cookie = string.Join("; ", signIn.Headers.GetValues("Set-Cookie")
            .Where(c => c.StartsWith("dashboard.session", StringComparison.Ordinal))
            .Select(c => c[..c.IndexOf(';')]));
        Assert.Contains("secure", signIn.Headers.GetValues("Set-Cookie").First(c => c.StartsWith("dashboard.session", StringComparison.Ordinal)), StringComparison.OrdinalIgnoreCase);
        async Task<HttpStatusCode> ReplayAsync()
        {
            using var copy = _factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions
            {
                BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false, HandleCookies = false,
            });
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.Add("Cookie", cookie);
            using var response = await copy.SendAsync(request);
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, await ReplayAsync());
        var token = LoginForm.HiddenFields(await client.GetStringAsync("/account/password"))["__RequestVerificationToken"];

        using var signOut = await client.PostAsync("/account/logout",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));

        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, await ReplayAsync());
    }

    [Fact]
    public async Task ChangePassword_OwnAccount_NewPasswordSignsIn()
    {
        var (userName, password) = await _factory.CreatePersonAsync(AccountRoles.Viewer);
        using var client = _factory.CreateBrowserLikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardFactory.SignInAsync(client, userName, password)).StatusCode);
        var form = LoginForm.HiddenFields(await client.GetStringAsync("/account/password"));
        form["Input.CurrentPassword"] = password;
        form["Input.NewPassword"] = "Changed-Pass-77";
        form["Input.ConfirmPassword"] = "Changed-Pass-77";

        using var change = await client.PostAsync("/account/password", new FormUrlEncodedContent(form));

        Assert.Contains("Your password has been changed.", await change.Content.ReadAsStringAsync());
        // This session stays signed in; the old password no longer works, the new one does.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);
        using var other = _factory.CreateBrowserLikeClient();
        Assert.Equal(HttpStatusCode.OK, (await DashboardFactory.SignInAsync(other, userName, password)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardFactory.SignInAsync(other, userName, "Changed-Pass-77")).StatusCode);
    }

    [Fact]
    public async Task ChangePassword_WrongCurrentPassword_SaysSo()
    {
        var (userName, password) = await _factory.CreatePersonAsync(AccountRoles.Viewer);
        using var client = _factory.CreateBrowserLikeClient();
        await DashboardFactory.SignInAsync(client, userName, password);
        var form = LoginForm.HiddenFields(await client.GetStringAsync("/account/password"));
        form["Input.CurrentPassword"] = "Not-The-Pass-1";
        form["Input.NewPassword"] = "Changed-Pass-77";
        form["Input.ConfirmPassword"] = "Changed-Pass-77";

        using var change = await client.PostAsync("/account/password", new FormUrlEncodedContent(form));

        Assert.Contains("The current password is not correct.", await change.Content.ReadAsStringAsync());
        using var other = _factory.CreateBrowserLikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardFactory.SignInAsync(other, userName, password)).StatusCode);
    }

    [Fact]
    public async Task Logs_SignInsAndKeyedRequests_HoldNoPasswordOrKey()
    {
        var (userName, password) = await _factory.CreatePersonAsync(AccountRoles.Viewer);
        using (var client = _factory.CreateBrowserLikeClient())
        {
            await DashboardFactory.SignInAsync(client, userName, "Wrong-Pass-999");
            await DashboardFactory.SignInAsync(client, userName, password);
        }
        var created = await _factory.Services.GetRequiredService<ApiKeyStore>().CreateAsync("log check", ApiRoles.Write);
        foreach (var key in new[] { created, DashboardFactory.WriteKey, DashboardFactory.ReadKey, "wk_made_up_key" })
        {
            using var client = _factory.CreateIngestClient(key);
            await client.PostAsync("/ingest", new StringContent("""{ "event": "APP_OPENED", "userId": "log-check" }""", Encoding.UTF8, "application/json"));
            await client.GetAsync("/api/schema/telemetry.ts");
            // analytics.js names the key in the path of its settings request.
            await client.GetAsync($"/v1/projects/{key}/settings");
        }

        var logs = _factory.Logs.ToList();
        Assert.Contains(logs, l => l.Contains("/ingest", StringComparison.Ordinal)); // request logging did run
        Assert.Contains(logs, l => l.Contains($"/v1/projects/{KeyRedactingLoggerFactory.Mask}/settings", StringComparison.Ordinal));
        foreach (var secret in new[] { password, "Wrong-Pass-999", DashboardFactory.AdminPassword, created, DashboardFactory.WriteKey, DashboardFactory.ReadKey, "wk_made_up_key" })
            Assert.DoesNotContain(logs, l => l.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task People_UserNameLikeAnApiKeysAuditName_IsRefused()
    {
        var errors = await _factory.Services.GetRequiredService<PeopleAdmin>().CreateAsync("Key:deploy pipeline (ak_1f2e)", AccountRoles.Admin, "Person-Pass-42");

        Assert.Contains("may not start with \"key:\"", Assert.Single(errors));
    }

    [Fact]
    public async Task People_LastAdmin_CannotBeDemotedOrRemoved()
    {
        var people = _factory.Services.GetRequiredService<PeopleAdmin>();
        var admin = (await people.ListAsync()).Single(p => p.UserName == AccountRoles.BootstrapAdmin);

        Assert.Contains("last admin", Assert.Single(await people.ChangeRoleAsync(admin.Id, AccountRoles.Viewer)));
        Assert.Contains("last admin", Assert.Single(await people.RemoveAsync(admin.Id)));

        // With a second admin, the first can step down.
        Assert.Empty(await people.CreateAsync("second-admin", AccountRoles.Admin, "Second-Pass-1"));
        Assert.Empty(await people.ChangeRoleAsync(admin.Id, AccountRoles.Viewer));
        var rows = await people.ListAsync();
        Assert.Equal(AccountRoles.Viewer, rows.Single(p => p.UserName == AccountRoles.BootstrapAdmin).Role);
        var second = rows.Single(p => p.UserName == "second-admin");
        Assert.Contains("last admin", Assert.Single(await people.RemoveAsync(second.Id)));
    }

    [Fact]
    public async Task People_RoleChanged_EndsTheOldSessionsRole()
    {
        var (userName, password) = await _factory.CreatePersonAsync(AccountRoles.Admin);
        using var client = _factory.CreateBrowserLikeClient();
        await DashboardFactory.SignInAsync(client, userName, password);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/admin/keys")).StatusCode);
        var people = _factory.Services.GetRequiredService<PeopleAdmin>();
        var id = (await people.ListAsync()).Single(p => p.UserName == userName).Id;

        Assert.Empty(await people.ChangeRoleAsync(id, AccountRoles.Viewer));
        await people.ResetPasswordAsync(id, "Reset-Pass-123");

        // The renewed security stamp is checked at most a minute later; signing in again gets the new role at once.
        using var again = _factory.CreateBrowserLikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardFactory.SignInAsync(again, userName, "Reset-Pass-123")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await again.GetAsync("/admin/keys")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await again.GetAsync("/events")).StatusCode);
    }
}

/// <summary>Start-up with no admin password configured. Reads the console, which is shared by the process, so it runs alone.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class AdminBootstrapTests
{
    [Fact]
    public async Task Start_NoAdminPassword_PrintsAGeneratedOneOnceAndNeverLogsIt()
    {
        var original = Console.Out;
        var captured = new StringWriter();
        Console.SetOut(TextWriter.Synchronized(new TeeWriter(original, captured)));
        await using var factory = new DashboardFactory(new Dictionary<string, string?> { ["Auth:AdminPassword"] = "" });
        Match match;
        try
        {
            factory.StartServer();
            match = await Eventually.ReadAsync(
                () => Task.FromResult(Regex.Match(captured.ToString(), @"Admin login \(shown once, store it now\): user admin, password (\S+)")),
                m => m.Success);
        }
        finally
        {
            Console.SetOut(original);
        }
        Assert.True(match.Success, "no generated admin password on the console: " + captured);
        var password = match.Groups[1].Value;
        Assert.True(password.Length >= 20);
        Assert.Matches("[A-Z]", password);
        Assert.Matches("[a-z]", password);
        Assert.Matches("[0-9]", password);

        using var client = factory.CreateBrowserLikeClient();
        using var signIn = await DashboardFactory.SignInAsync(client, AccountRoles.BootstrapAdmin, password);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/admin/people")).StatusCode);

        // Shown once: a second start finds the admin and generates nothing.
        var again = await factory.Services.GetRequiredService<PeopleAdmin>().EnsureAdminAsync("");
        Assert.Equal(new BootstrapResult(false, null), again);
        Assert.NotEmpty(factory.Logs);
        Assert.DoesNotContain(factory.Logs, line => line.Contains(password, StringComparison.Ordinal));
    }

    private sealed class TeeWriter(TextWriter first, TextWriter second) : TextWriter
    {
        public override Encoding Encoding => first.Encoding;

        public override void Write(char value)
        {
            first.Write(value);
            second.Write(value);
        }

        public override void Write(string? value)
        {
            first.Write(value);
            second.Write(value);
        }

        public override void WriteLine(string? value)
        {
            first.WriteLine(value);
            second.WriteLine(value);
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "Console";
}
