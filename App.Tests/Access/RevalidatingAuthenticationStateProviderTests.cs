using Dashboard.Access;
using Dashboard.Tests.TestSupport;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dashboard.Tests.Access;

/// <summary>An open page's user is checked against the store: a changed role, reset password or removal ends it.</summary>
public sealed class RevalidatingAuthenticationStateProviderTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task IsCurrent_AfterRoleChangeOrRemoval_IsFalse()
    {
        var people = _factory.Services.GetRequiredService<PeopleAdmin>();
        var (first, _) = await _factory.CreatePersonAsync(AccountRoles.Admin);
        var (second, _) = await _factory.CreatePersonAsync(AccountRoles.Viewer);
        var provider = new RevalidatingAuthenticationStateProvider(NullLoggerFactory.Instance,
            _factory.Services.GetRequiredService<IServiceScopeFactory>(), _factory.Services.GetRequiredService<IOptions<IdentityOptions>>());
        var firstSession = await PrincipalAsync(first);
        var secondSession = await PrincipalAsync(second);
        Assert.True(await provider.IsCurrentAsync(firstSession));
        Assert.True(await provider.IsCurrentAsync(secondSession));

        var rows = await people.ListAsync();
        Assert.Empty(await people.ChangeRoleAsync(rows.Single(p => p.UserName == first).Id, AccountRoles.Viewer));
        Assert.Empty(await people.RemoveAsync(rows.Single(p => p.UserName == second).Id));

        Assert.False(await provider.IsCurrentAsync(firstSession));
        Assert.False(await provider.IsCurrentAsync(secondSession));
        Assert.True(await provider.IsCurrentAsync(await PrincipalAsync(first)));
    }

    private async Task<System.Security.Claims.ClaimsPrincipal> PrincipalAsync(string userName)
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        var signIn = scope.ServiceProvider.GetRequiredService<SignInManager<IdentityUser>>();
        var user = await signIn.UserManager.FindByNameAsync(userName);
        return await signIn.CreateUserPrincipalAsync(user!);
    }
}
