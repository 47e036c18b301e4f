using System.Net;
using Dashboard.Access;
using Dashboard.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Access;

/// <summary>
/// X-Forwarded-For is believed only from the configured proxies. What the app takes as the
/// client's address shows in the sign-in throttle, which counts failures per address.
/// </summary>
public sealed class ProxyHeadersTests : IAsyncLifetime
{
    private const string Proxy = "10.0.0.5";
    private const string Client = "203.0.113.7";

    private readonly DashboardFactory _factory = new(new Dictionary<string, string?>
    {
        ["ForwardedHeaders:KnownProxies:0"] = Proxy,
        ["Auth:FailedSignInDelayMs"] = "0",
    });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task ForwardedFor_FromTheConfiguredProxy_IsTheClientAddress()
    {
        var throttle = await FailFiveTimesAsync(from: Proxy, out var userName);

        Assert.False(throttle.IsAllowed(Client, userName));
        Assert.True(throttle.IsAllowed(Proxy, userName));
        Assert.DoesNotContain(_factory.Logs, l => l.Contains(UntrustedWarning, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ForwardedFor_FromAnyOtherSender_IsIgnored()
    {
        const string stranger = "198.51.100.20";
        var throttle = await FailFiveTimesAsync(from: stranger, out var userName);

        Assert.False(throttle.IsAllowed(stranger, userName));
        Assert.True(throttle.IsAllowed(Client, userName));
        // Once for the five sign-ins and their form pages: the warning is rate-limited.
        Assert.Single(_factory.Logs, l => l.Contains(UntrustedWarning, StringComparison.Ordinal) && l.Contains(stranger, StringComparison.Ordinal));
    }

    [Fact]
    public async Task PlainHttpFromLoopback_ForwardedByAnUnconfiguredProxy_IsNotLocalSoCookiesAreSecure()
    {
        await using var factory = new DashboardFactory(kestrel: true);
        // No cookie jar: each answer sets its own antiforgery cookie.
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = factory.ServerAddress };

        using var direct = await client.GetAsync("/account/login");
        using var proxied = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/account/login")
        {
            Headers = { { "X-Forwarded-For", Client }, { "X-Forwarded-Proto", "https" } },
        });

        Assert.DoesNotContain("; secure", Antiforgery(direct), StringComparison.OrdinalIgnoreCase); // the machine itself
        Assert.Contains("; secure", Antiforgery(proxied), StringComparison.OrdinalIgnoreCase);
        Assert.Single(factory.Logs, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains(UntrustedWarning, StringComparison.Ordinal));
    }

    private const string UntrustedWarning = "carries forwarding headers, but that sender is not a configured proxy";

    private static string Antiforgery(HttpResponseMessage response) =>
        Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".AspNetCore.Antiforgery", StringComparison.Ordinal));

    private Task<SignInThrottle> FailFiveTimesAsync(string from, out string userName)
    {
        var name = userName = $"proxy-check-{Guid.NewGuid():N}"[..24];
        return RunAsync();

        async Task<SignInThrottle> RunAsync()
        {
            var app = _factory.WithWebHostBuilder(b => b.ConfigureTestServices(s =>
                s.AddSingleton<IStartupFilter>(new RemoteAddress(IPAddress.Parse(from)))));
            using var client = app.CreateClient(new WebApplicationFactoryClientOptions
            {
                BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false,
            });
            client.DefaultRequestHeaders.Add("X-Forwarded-For", Client);
            for (var i = 0; i < SignInThrottle.MaxFailures; i++)
            {
                using var response = await DashboardFactory.SignInAsync(client, name, "Wrong-Pass-999");
                Assert.Contains("not correct", await response.Content.ReadAsStringAsync());
            }
            return app.Services.GetRequiredService<SignInThrottle>();
        }
    }

    /// <summary>Gives every request the sender's address, as Kestrel would (the test server leaves it empty).</summary>
    private sealed class RemoteAddress(IPAddress address) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                context.Connection.RemoteIpAddress = address;
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
