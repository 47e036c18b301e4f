using System.Net;

namespace Dashboard.Access;

/// <summary>
/// Outside Development every cookie the app sets is <c>Secure</c> (sent over HTTPS only), except
/// on a plain-HTTP request from this machine itself (<c>http://localhost</c>, a local check or the
/// browser tests), where there is nobody in between to read it. A request that came through a
/// configured proxy carries the client's address (<see cref="ProxyHeaders"/>), so it is not taken for
/// a local one; nor is a loopback request that still carries forwarding headers, since an
/// unconfigured proxy on this host would make every client look local.
/// </summary>
public sealed class SecureCookieBuilder : CookieBuilder
{
    public SecureCookieBuilder(CookieBuilder settings)
    {
        Name = settings.Name;
        HttpOnly = settings.HttpOnly;
        SameSite = settings.SameSite;
        IsEssential = settings.IsEssential;
        Path = settings.Path ?? "/";
        Domain = settings.Domain;
        Expiration = settings.Expiration;
        MaxAge = settings.MaxAge;
        SecurePolicy = CookieSecurePolicy.SameAsRequest;
    }

    public override CookieOptions Build(HttpContext context, DateTimeOffset expiresFrom)
    {
        var options = base.Build(context, expiresFrom);
        options.Secure = SecureCookies.Required(context);
        return options;
    }
}

public static class SecureCookies
{
    /// <summary>True unless the request is plain HTTP from this machine.</summary>
    public static bool Required(HttpContext context) =>
        context.Request.IsHttps || !IsLocal(context);

    /// <summary>A plain-HTTP request from elsewhere: a sign-in cookie would not come back, and a password would cross the network in the clear.</summary>
    public static bool IsInsecureRemote(HttpContext context, IHostEnvironment environment) =>
        !environment.IsDevelopment() && !context.Request.IsHttps && !IsLocal(context);

    private static bool IsLocal(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address) && !ProxyHeaders.HasForwardingHeaders(context.Request);
}
