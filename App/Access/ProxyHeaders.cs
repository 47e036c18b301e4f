using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Dashboard.Access;

/// <summary>Settings under <c>ForwardedHeaders</c>: the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed.</summary>
public sealed class ProxyHeaderOptions
{
    /// <summary>Addresses of the proxies in front of the app, e.g. <c>["10.0.0.5"]</c>.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of such proxies in CIDR form, e.g. <c>["10.0.0.0/24"]</c>.</summary>
    public List<string> KnownNetworks { get; set; } = [];
}

/// <summary>
/// Behind a reverse proxy the client's address and scheme arrive in forwarded headers; anyone can
/// send those headers, so they are believed only from the proxies named in configuration. When
/// proxies are configured the app reads the headers itself. When the host's own switch
/// (<c>ASPNETCORE_FORWARDEDHEADERS_ENABLED</c>) turns the headers on, which by itself would trust
/// every sender, the same list still applies: with none configured only loopback is trusted.
/// Throttles and rate limits key on the resulting address, so a trusted-by-mistake header would
/// hand every request a fresh budget.
/// </summary>
public static class ProxyHeaders
{
    public static void Configure(IServiceCollection services)
    {
        // Read when the options are first used, after the host's own setup (which clears both lists
        // when its switch is on) and after every configuration source is in.
        services.AddOptions<ForwardedHeadersOptions>().PostConfigure<IConfiguration>((o, configuration) =>
        {
            var settings = configuration.GetSection("ForwardedHeaders").Get<ProxyHeaderOptions>() ?? new();
            o.ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedProto;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var p in settings.KnownProxies)
                o.KnownProxies.Add(IPAddress.TryParse(p, out var a) ? a
                    : throw new InvalidOperationException($"ForwardedHeaders:KnownProxies: '{p}' is not an IP address"));
            foreach (var n in settings.KnownNetworks)
                o.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(n, out var net) ? net
                    : throw new InvalidOperationException($"ForwardedHeaders:KnownNetworks: '{n}' is not a network in CIDR form"));
            if (o.KnownProxies.Count == 0 && o.KnownIPNetworks.Count == 0)
            {
                o.KnownProxies.Add(IPAddress.Loopback);
                o.KnownProxies.Add(IPAddress.IPv6Loopback);
            }
        });
    }

    private static readonly string[] ForwardingHeaderNames = ["X-Forwarded-For", "X-Forwarded-Proto", "Forwarded"];

    /// <summary>
    /// True when the request says it came through a proxy whose headers were not taken: the
    /// forwarded-headers middleware removes the ones it believes, and never reads <c>Forwarded</c>.
    /// </summary>
    public static bool HasForwardingHeaders(HttpRequest request) =>
        ForwardingHeaderNames.Any(request.Headers.ContainsKey);

    /// <summary>True when the app adds the middleware: proxies are configured and the host does not add it already.</summary>
    public static bool IsAddedByUs(IConfiguration configuration) =>
        !string.Equals(configuration["FORWARDEDHEADERS_ENABLED"], "true", StringComparison.OrdinalIgnoreCase)
        && (configuration.GetSection("ForwardedHeaders:KnownProxies").GetChildren().Any()
            || configuration.GetSection("ForwardedHeaders:KnownNetworks").GetChildren().Any());
}

/// <summary>
/// Warns, at most once an hour, that forwarding headers arrived from a sender they are not believed
/// from: typically a reverse proxy on the same host that is not listed under
/// <c>ForwardedHeaders</c>, so every client counts as that proxy's address in the throttles.
/// </summary>
public sealed class UntrustedProxyWarning(ILogger<UntrustedProxyWarning> logger, TimeProvider clock)
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);
    private long _nextAtMs = long.MinValue;

    public void Check(HttpContext context)
    {
        var request = context.Request;
        // X-Original-For/-Proto: the middleware took a trusted proxy's headers and left the rest of a longer chain.
        if (!ProxyHeaders.HasForwardingHeaders(request)
            || request.Headers.ContainsKey("X-Original-For") || request.Headers.ContainsKey("X-Original-Proto")) return;
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var next = Interlocked.Read(ref _nextAtMs);
        if (now < next || Interlocked.CompareExchange(ref _nextAtMs, now + (long)Interval.TotalMilliseconds, next) != next) return;
        logger.LogWarning(
            "A request from {Sender} carries forwarding headers, but that sender is not a configured proxy (ForwardedHeaders:KnownProxies " +
            "or KnownNetworks), so they are ignored: its clients share the sender's address in the sign-in throttle and rate limits. " +
            "List the proxy to have the client's address believed. This warning repeats at most once an hour.",
            context.Connection.RemoteIpAddress);
    }
}
