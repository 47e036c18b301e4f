using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Dashboard.Access;

/// <summary>
/// Checks an open circuit's user against the store every minute: once their security stamp has
/// changed (role changed, password reset, account removed) the page treats them as signed out.
/// </summary>
public sealed class RevalidatingAuthenticationStateProvider(
    ILoggerFactory loggerFactory, IServiceScopeFactory scopes, IOptions<IdentityOptions> options)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    protected override Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken ct) =>
        IsCurrentAsync(state.User);

    /// <summary>True while the person still exists and their security stamp is the one in their cookie.</summary>
    internal async Task<bool> IsCurrentAsync(ClaimsPrincipal principal)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await IsCurrentAsync(scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>(), principal,
            options.Value.ClaimsIdentity.SecurityStampClaimType);
    }

    /// <summary>
    /// The check itself, shared with the session cookie's validation on every request: signing out
    /// and a changed password or role renew the stamp, so every cookie issued before stops working.
    /// </summary>
    internal static async Task<bool> IsCurrentAsync(UserManager<IdentityUser> users, ClaimsPrincipal principal, string stampClaimType)
    {
        var user = await users.GetUserAsync(principal);
        if (user is null) return false;
        if (!users.SupportsUserSecurityStamp) return true;
        return principal.FindFirstValue(stampClaimType) == await users.GetSecurityStampAsync(user);
    }
}
