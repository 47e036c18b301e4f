using System.Security.Claims;
using Dashboard.Access;
using Hangfire.Dashboard;
using Hangfire.InMemory;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Access;

public sealed class AdminDashboardAuthorizationFilterTests
{
    [Theory]
    [InlineData(null, null, false)]                      // nobody
    [InlineData("Identity.Application", "viewer", false)] // a viewer session
    [InlineData("Identity.Application", "admin", true)]   // an admin session
    [InlineData("ApiKey", "admin", false)]                // an admin key: the jobs dashboard needs a person
    public void Authorize_Caller_OnlyAnAdminSessionPasses(string? authenticationType, string? role, bool expected)
    {
        var http = new DefaultHttpContext { RequestServices = new ServiceCollection().BuildServiceProvider() };
        if (authenticationType is not null)
        {
            var roleClaim = authenticationType == ApiKeyAuthenticationHandler.SchemeName ? ApiKeyAuthenticationHandler.RoleClaim : ClaimTypes.Role;
            http.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "someone"), new Claim(roleClaim, role!)],
                authenticationType, ClaimTypes.Name, roleClaim));
        }
        var context = new AspNetCoreDashboardContext(new InMemoryStorage(), new Hangfire.DashboardOptions(), http);

        Assert.Equal(expected, new AdminDashboardAuthorizationFilter().Authorize(context));
    }
}
