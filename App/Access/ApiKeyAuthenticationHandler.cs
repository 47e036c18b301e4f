using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Dashboard.Access;

/// <summary>
/// Authenticates a request by the API key in its <c>Authorization</c> header and maps the key's
/// role (write, client, read, admin) to the <see cref="RoleClaim"/> claim. The key itself is never
/// put in a claim or a log line; the name claim is the key's
/// <see cref="ApiKeyIdentity.AuditName"/>, which audits record as the actor.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyStore keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string RoleClaim = "api_key_role";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = ApiKeyHeader.Read(Request);
        if (key is null) return Task.FromResult(AuthenticateResult.NoResult());
        if (keys.Find(key) is not { } found) return Task.FromResult(AuthenticateResult.Fail("the API key is not valid"));
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, found.AuditName), new Claim(RoleClaim, found.Role)],
            SchemeName, ClaimTypes.Name, RoleClaim);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await Response.WriteAsJsonAsync(new AccessError("an API key (Authorization: Bearer <key>) or a signed-in session is required"));
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await Response.WriteAsJsonAsync(new AccessError("this key or account does not have the role this endpoint needs"));
    }
}

public sealed record AccessError(string Error);
