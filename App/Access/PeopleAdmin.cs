using System.Security.Cryptography;
using Dashboard.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Access;

public sealed record PersonRow(string Id, string UserName, string Role, bool LockedOut);

/// <summary>
/// The people who can sign in: listing, creating, changing roles and passwords, removing, and the
/// admin account created at first start. Each write runs in its own service scope (Identity's
/// managers are scoped) and the writes are serialized, so two admins cannot both demote the other
/// and leave nobody able to manage accounts: the last admin can be neither removed nor demoted.
/// Every change of role or password renews the person's security stamp, which ends their other
/// sessions at the next check.
/// </summary>
public sealed class PeopleAdmin(IServiceScopeFactory scopes, IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    private readonly SemaphoreSlim _writes = new(1, 1);

    public async Task<IReadOnlyList<PersonRow>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await (
            from u in db.Users.AsNoTracking()
            join ur in db.UserRoles on u.Id equals ur.UserId into urs
            from ur in urs.DefaultIfEmpty()
            join r in db.Roles on ur.RoleId equals r.Id into rs
            from r in rs.DefaultIfEmpty()
            orderby u.UserName
            select new { u.Id, u.UserName, Role = r != null ? r.Name : null, u.LockoutEnd }).ToListAsync(ct);
        var now = clock.GetUtcNow();
        // A person with both roles (only possible through direct database edits) shows as admin.
        return rows.GroupBy(x => x.Id).Select(g =>
        {
            var first = g.First();
            var role = g.Any(x => x.Role == AccountRoles.Admin) ? AccountRoles.Admin : g.Select(x => x.Role).FirstOrDefault(r => r is not null) ?? "";
            return new PersonRow(first.Id, first.UserName ?? "", role, first.LockoutEnd > now);
        }).ToList();
    }

    /// <summary>Creates a person with a role and an initial password. Returns the errors, empty on success.</summary>
    public Task<IReadOnlyList<string>> CreateAsync(string userName, string role, string password, CancellationToken ct = default) =>
        WriteAsync(async users =>
        {
            userName = userName.Trim();
            if (userName.Length == 0) return ["A user name is required."];
            if (userName.Length > AccountLimits.MaxUserNameLength) return [$"A user name has at most {AccountLimits.MaxUserNameLength} characters."];
            if (userName.StartsWith(ApiKeyIdentity.AuditNamePrefix, StringComparison.OrdinalIgnoreCase))
                return [$"A user name may not start with \"{ApiKeyIdentity.AuditNamePrefix}\": audits name API keys that way."];
            if (!AccountRoles.All.Contains(role)) return [$"Unknown role '{role}'."];
            var user = new IdentityUser(userName);
            var created = await users.CreateAsync(user, password);
            if (!created.Succeeded) return Errors(created);
            var added = await users.AddToRoleAsync(user, role);
            if (!added.Succeeded)
            {
                await users.DeleteAsync(user);
                return Errors(added);
            }
            return [];
        }, ct);

    public Task<IReadOnlyList<string>> ChangeRoleAsync(string userId, string role, CancellationToken ct = default) =>
        WriteAsync(async users =>
        {
            if (!AccountRoles.All.Contains(role)) return [$"Unknown role '{role}'."];
            var user = await users.FindByIdAsync(userId);
            if (user is null) return ["This person no longer exists."];
            var current = await users.GetRolesAsync(user);
            if (current.SequenceEqual([role])) return [];
            if (current.Contains(AccountRoles.Admin) && role != AccountRoles.Admin && await IsLastAdminAsync(users))
                return [$"{user.UserName} is the last admin; make someone else admin first."];
            var removed = await users.RemoveFromRolesAsync(user, current);
            if (!removed.Succeeded) return Errors(removed);
            var added = await users.AddToRoleAsync(user, role);
            if (!added.Succeeded) return Errors(added);
            await users.UpdateSecurityStampAsync(user);
            return [];
        }, ct);

    /// <summary>Sets a new password for someone else (an admin's reset) and lifts a lockout.</summary>
    public Task<IReadOnlyList<string>> ResetPasswordAsync(string userId, string password, CancellationToken ct = default) =>
        WriteAsync(async users =>
        {
            var user = await users.FindByIdAsync(userId);
            if (user is null) return ["This person no longer exists."];
            var token = await users.GeneratePasswordResetTokenAsync(user);
            var reset = await users.ResetPasswordAsync(user, token, password);
            if (!reset.Succeeded) return Errors(reset);
            await users.SetLockoutEndDateAsync(user, null);
            await users.ResetAccessFailedCountAsync(user);
            return [];
        }, ct);

    public Task<IReadOnlyList<string>> RemoveAsync(string userId, CancellationToken ct = default) =>
        WriteAsync(async users =>
        {
            var user = await users.FindByIdAsync(userId);
            if (user is null) return [];
            if (await users.IsInRoleAsync(user, AccountRoles.Admin) && await IsLastAdminAsync(users))
                return [$"{user.UserName} is the last admin and cannot be removed."];
            var deleted = await users.DeleteAsync(user);
            return deleted.Succeeded ? [] : Errors(deleted);
        }, ct);

    /// <summary>
    /// Creates the roles and, when nobody can sign in yet, the admin account with the configured
    /// password or a generated one. Returns the generated password (to be shown once), or null.
    /// </summary>
    public async Task<BootstrapResult> EnsureAdminAsync(string? configuredPassword, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in AccountRoles.All)
        {
            if (!await roles.RoleExistsAsync(role)) Check(await roles.CreateAsync(new IdentityRole(role)));
        }
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        if (await users.Users.AnyAsync(ct)) return new BootstrapResult(false, null);

        var generated = string.IsNullOrEmpty(configuredPassword) ? GeneratePassword() : null;
        var admin = new IdentityUser(AccountRoles.BootstrapAdmin);
        Check(await users.CreateAsync(admin, configuredPassword is { Length: > 0 } p ? p : generated!));
        Check(await users.AddToRoleAsync(admin, AccountRoles.Admin));
        return new BootstrapResult(true, generated);
    }

    /// <summary>20 random characters from a URL-safe alphabet, with an upper, a lower case letter and a digit guaranteed.</summary>
    public static string GeneratePassword()
    {
        const string alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        var chars = RandomNumberGenerator.GetItems<char>(alphabet, 17);
        return $"{RandomNumberGenerator.GetItems<char>("ABCDEFGHJKLMNPQRSTUVWXYZ", 1)[0]}{new string(chars)}" +
               $"{RandomNumberGenerator.GetItems<char>("abcdefghijkmnopqrstuvwxyz", 1)[0]}{RandomNumberGenerator.GetItems<char>("23456789", 1)[0]}";
    }

    private async Task<IReadOnlyList<string>> WriteAsync(Func<UserManager<IdentityUser>, Task<IReadOnlyList<string>>> write, CancellationToken ct)
    {
        await _writes.WaitAsync(ct);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            return await write(scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>());
        }
        finally
        {
            _writes.Release();
        }
    }

    private static async Task<bool> IsLastAdminAsync(UserManager<IdentityUser> users) =>
        (await users.GetUsersInRoleAsync(AccountRoles.Admin)).Count <= 1;

    private static IReadOnlyList<string> Errors(IdentityResult result) => result.Errors.Select(e => e.Description).ToList();

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
            throw new InvalidOperationException("Could not create the first admin: " + string.Join(" ", result.Errors.Select(e => e.Description)));
    }
}

public sealed record BootstrapResult(bool Created, string? GeneratedPassword);
