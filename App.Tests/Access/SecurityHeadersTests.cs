using Dashboard.Access;
using Dashboard.Tests.TestSupport;
using Microsoft.AspNetCore.Hosting;

namespace Dashboard.Tests.Access;

public sealed class SecurityHeadersTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Theory]
    [InlineData("GET", "/account/login")]   // a page
    [InlineData("GET", "/")]                // a redirect to the sign-in page
    [InlineData("GET", "/healthz")]         // an endpoint
    [InlineData("GET", "/app.css")]         // a static file
    [InlineData("GET", "/api/schema/telemetry.ts")] // a 401
    [InlineData("POST", "/ingest")]         // the ingest endpoint's own 401
    public async Task Response_AnyKind_CarriesTheSecurityHeaders(string method, string path)
    {
        using var client = _factory.CreateBrowserLikeClient();

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
        var csp = Header(response, "Content-Security-Policy");
        Assert.Equal(SecurityHeaders.ContentSecurityPolicy, csp);
        Assert.Contains("script-src 'self';", csp);
        Assert.Contains("style-src 'self' 'unsafe-inline';", csp);
        Assert.Contains("connect-src 'self';", csp);
        Assert.DoesNotContain("ws:", csp);
        Assert.Contains("img-src 'self' data:;", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
    }

    [Fact]
    public async Task Page_SignedIn_CarriesTheHeadersAndNoInlineScript()
    {
        using var client = await _factory.CreateSessionClientAsync(AccountRoles.Viewer);

        using var response = await client.GetAsync("/");

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(SecurityHeaders.ContentSecurityPolicy, Header(response, "Content-Security-Policy"));
        // script-src 'self' refuses inline scripts, so the page must not carry any.
        var html = await response.Content.ReadAsStringAsync();
        var scripts = System.Text.RegularExpressions.Regex.Matches(html, "<script\\b[^>]*>").Select(m => m.Value).ToList();
        Assert.NotEmpty(scripts);
        Assert.All(scripts, s => Assert.Contains(" src=", s));
    }

    [Fact]
    public async Task Https_OutsideDevelopment_SendsHstsAndSecureCookies()
    {
        using var client = _factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions
        {
            BaseAddress = new Uri("https://dashboard.example"), AllowAutoRedirect = false,
        });

        using var response = await client.GetAsync("/account/login");

        Assert.Equal("max-age=31536000", Header(response, "Strict-Transport-Security"));
        var antiforgery = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".AspNetCore.Antiforgery", StringComparison.Ordinal));
        Assert.Contains("; secure", antiforgery, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task PlainHttpFromElsewhere_OutsideDevelopment_CookiesStaySecureAndTheSignInPageSaysWhy()
    {
        using var client = _factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions
        {
            BaseAddress = new Uri("http://dashboard.example"), AllowAutoRedirect = false,
        });

        using var response = await client.GetAsync("/account/login");

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Strict-Transport-Security")); // sent over HTTPS only
        var antiforgery = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".AspNetCore.Antiforgery", StringComparison.Ordinal));
        Assert.Contains("; secure", antiforgery, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("data-testid=\"login-https\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Development_PlainHttp_HasNoHstsAndCookiesWithoutSecure()
    {
        await using var development = _factory.WithWebHostBuilder(b => b.UseEnvironment("Development"));
        using var client = development.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions
        {
            BaseAddress = new Uri("http://dashboard.example"), AllowAutoRedirect = false,
        });

        using var response = await client.GetAsync("/account/login");

        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
        var antiforgery = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".AspNetCore.Antiforgery", StringComparison.Ordinal));
        Assert.DoesNotContain("; secure", antiforgery, StringComparison.OrdinalIgnoreCase);
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(",", values)
            : throw new Xunit.Sdk.XunitException($"{name} is missing on {response.RequestMessage?.RequestUri} ({(int)response.StatusCode})");
}
