using Hangfire.Dashboard;

namespace Dashboard.Access;

/// <summary>The Hangfire dashboard opens only for a signed-in admin (the session cookie, not an API key).</summary>
public sealed class AdminDashboardAuthorizationFilter : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context)
    {
        var user = context.GetHttpContext().User;
        return user.Identity is { IsAuthenticated: true, AuthenticationType: not ApiKeyAuthenticationHandler.SchemeName }
               && user.IsInRole(AccountRoles.Admin);
    }
}
