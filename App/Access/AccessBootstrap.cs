using Microsoft.Extensions.Options;

namespace Dashboard.Access;

/// <summary>What start-up created for access: the admin account (and its generated password), and a new write key.</summary>
public sealed record AccessBootstrapResult(BootstrapResult Admin, string? NewWriteKey);

/// <summary>
/// The access part of start-up: loads the API keys, makes sure an admin account exists (with
/// <c>Auth:AdminPassword</c> or a generated password) and creates a write key when there is none.
/// </summary>
public sealed class AccessBootstrap(ApiKeyStore keys, PeopleAdmin people, IOptions<AuthOptions> auth)
{
    public async Task<AccessBootstrapResult> EnsureAsync(CancellationToken ct)
    {
        await keys.ReloadAsync(ct);
        var admin = await people.EnsureAdminAsync(auth.Value.AdminPassword, ct);
        string? newWriteKey = null;
        if (!keys.HasAnyWithRole(ApiRoles.Write))
            newWriteKey = await keys.CreateAsync("Generated at first start", ApiRoles.Write, ct: ct);
        return new AccessBootstrapResult(admin, newWriteKey);
    }
}
