namespace Dashboard.Access;

/// <summary>
/// CORS for browser sources on the ingest and OFREP paths. A write or client key lists the web
/// origins it may be used from. A preflight cannot carry the key, so it is answered for an origin
/// that is on some key's list; the request itself is then checked against its own key's list. A
/// request without an <c>Origin</c> header (a server) is not affected; a key without origins serves
/// servers only. No credentials are allowed: keys travel in headers or the body, never in cookies.
/// </summary>
public static class BrowserOrigins
{
    public const string AllowedMethods = "POST, GET";
    public const string AllowedHeaders = "Authorization, Content-Type, X-API-Key, Content-Encoding, If-None-Match";
    /// <summary>Response headers a page's script may read: the bulk evaluation's ETag, the wait of a 429 or 503.</summary>
    public const string ExposedHeaders = "ETag, Retry-After";

    /// <summary>
    /// Splits a list of origins (commas or white space between them) and normalises each to
    /// <c>scheme://host[:port]</c> in lower case; the error names the first entry that is not an origin.
    /// </summary>
    public static (IReadOnlyList<string> Origins, string? Error) Parse(string? text)
    {
        var result = new List<string>();
        foreach (var part in (text ?? "").Split([',', ' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (Normalize(part) is not { } origin)
                return ([], $"'{part}' is not an origin: write scheme://host[:port], e.g. https://app.example.com, without a path");
            if (!result.Contains(origin)) result.Add(origin);
        }
        return (result, null);
    }

    /// <summary>The origin in its canonical form (what browsers send in <c>Origin</c>), or null when it is not one.</summary>
    public static string? Normalize(string value)
    {
        value = value.Trim();
        if (value.EndsWith('/')) value = value[..^1];
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri)) return null;
        if (uri.Scheme is not ("http" or "https")) return null;
        if (uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.AbsolutePath != "/") return null;
        if (uri.Host.Length == 0) return null;
        // Only scheme://host[:port] as typed: anything after the authority was refused above.
        var host = uri.HostNameType == UriHostNameType.IPv6 ? $"[{uri.IdnHost.Trim('[', ']')}]" : uri.IdnHost;
        return uri.IsDefaultPort ? $"{uri.Scheme}://{host}" : $"{uri.Scheme}://{host}:{uri.Port}";
    }

    /// <summary>
    /// Checks a request's <c>Origin</c> against its key. True when there is no Origin (a server) or
    /// the origin is on the key's list, and then the CORS headers are set; false: refuse with
    /// <see cref="Refusal"/>.
    /// </summary>
    public static bool Allow(HttpContext http, ApiKeyIdentity key)
    {
        http.Response.Headers.Vary = "Origin";
        var origin = http.Request.Headers.Origin.ToString();
        if (origin.Length == 0) return true;
        if (!key.Origins.Contains(origin, StringComparer.Ordinal)) return false;
        http.Response.Headers.AccessControlAllowOrigin = origin;
        http.Response.Headers.AccessControlExposeHeaders = ExposedHeaders;
        return true;
    }

    /// <summary>The error of a request whose origin is not on its key's list.</summary>
    public static string Refusal(HttpContext http, ApiKeyIdentity key) => key.Origins.Count == 0
        ? $"this key serves servers only: add the origin {http.Request.Headers.Origin} to the key's origins to use it from a browser"
        : $"the origin {http.Request.Headers.Origin} is not one this key may be used from";

    /// <summary>Maps the preflight (<c>OPTIONS</c>) of a CORS path: anonymous, never redirected, never rate limited by key.</summary>
    public static IEndpointConventionBuilder MapPreflight(this IEndpointRouteBuilder app, string pattern) =>
        app.MapMethods(pattern, [HttpMethods.Options], Preflight)
            .ExcludeFromDescription()
            .DisableAntiforgery()
            .AllowAnonymous();

    private static IResult Preflight(HttpContext http, ApiKeyStore keys)
    {
        http.Response.Headers.Vary = "Origin";
        var origin = http.Request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            http.Response.Headers.Allow = "POST, GET, OPTIONS";
            return Results.NoContent();
        }
        if (!keys.IsKnownOrigin(origin))
            return Results.Json(new AccessError($"the origin {origin} is not on any key's list of origins"), statusCode: StatusCodes.Status403Forbidden);
        var headers = http.Response.Headers;
        headers.AccessControlAllowOrigin = origin;
        headers.AccessControlAllowMethods = AllowedMethods;
        headers.AccessControlAllowHeaders = AllowedHeaders;
        headers.AccessControlMaxAge = "600";
        return Results.NoContent();
    }
}
