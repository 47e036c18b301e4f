using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Antiforgery;

namespace Dashboard.Access;

/// <summary>
/// Sign-out is a form POST (with the antiforgery token the form carries), so no link or image on
/// another site can sign someone out. Sign-in is the static page <c>/account/login</c>.
/// </summary>
public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/account/logout", async (HttpContext http, SignInManager<IdentityUser> signIn, UserManager<IdentityUser> users, IAntiforgery antiforgery) =>
            {
                // Checked here rather than by the middleware so a missing token is a plain 400, not an unreadable form.
                if (!await antiforgery.IsRequestValidAsync(http))
                    return Results.Json(new AccessError("the sign-out form's antiforgery token is missing or not valid"), statusCode: StatusCodes.Status400BadRequest);
                // A new security stamp ends every session of this user, so a copied cookie stops working too.
                if (await users.GetUserAsync(http.User) is { } user)
                    await users.UpdateSecurityStampAsync(user);
                await signIn.SignOutAsync();
                return Results.LocalRedirect("/account/login");
            })
            .DisableAntiforgery()
            .ExcludeFromDescription();
        return app;
    }

    /// <summary>The return address if it is a path on this site, else the overview.</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'))
            && Uri.IsWellFormedUriString(url, UriKind.Relative)
            ? url
            : "/";
}
