namespace Dashboard.Access;

/// <summary>
/// Headers sent with every response, errors included. The content security policy allows only
/// this origin's scripts (Blazor and MudBlazor load theirs from files), inline styles (MudBlazor
/// writes its theme and component styles inline), and connections to this origin only (the
/// circuit's WebSocket is same-origin, which <c>'self'</c> covers).
/// </summary>
public static class SecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        // Set when the response starts, so headers survive handlers that clear them (the exception handler does).
        context.Response.OnStarting(static state =>
        {
            var headers = ((HttpContext)state).Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            return Task.CompletedTask;
        }, context);
        return next(context);
    });
}
