using System.Security.Cryptography;
using System.Text;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Access;

public static class ApiRoles
{
    public const string Write = "write";
    public const string Client = "client";
    public const string Read = "read";
    public const string Admin = "admin";
    public static readonly string[] All = [Write, Client, Read, Admin];
}

public sealed class ConfiguredApiKey
{
    public string Key { get; set; } = "";
    public string Role { get; set; } = "";
}

/// <summary>
/// Resolves an API key to its role. Keys come from configuration (<c>Auth:ApiKeys</c>) and from the
/// database, where only a SHA-256 hash is stored. Lookups hash the presented key and read an
/// in-memory map, so no key is compared in plain text and none needs to be logged.
/// </summary>
public sealed class ApiKeyStore(IConfiguration configuration, IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    private volatile Dictionary<string, string> _roleByHash = new(StringComparer.Ordinal);

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public string? FindRole(string? key) =>
        string.IsNullOrEmpty(key) ? null : _roleByHash.GetValueOrDefault(Hash(key));

    public bool HasAnyWithRole(string role) => _roleByHash.Values.Contains(role);

    public async Task ReloadAsync(CancellationToken ct = default)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var k in configuration.GetSection("Auth:ApiKeys").Get<List<ConfiguredApiKey>>() ?? [])
        {
            if (k.Key.Length > 0 && ApiRoles.All.Contains(k.Role)) map[Hash(k.Key)] = k.Role;
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        foreach (var k in await db.ApiKeys.AsNoTracking().Where(k => k.RevokedAt == null).ToListAsync(ct))
            map[k.Hash] = k.Role;
        _roleByHash = map;
    }

    /// <summary>Creates a key, stores its hash and returns the key itself: the only time it is visible.</summary>
    public async Task<string> CreateAsync(string name, string role, CancellationToken ct = default)
    {
        var key = $"{role[0]}k_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20))}";
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            db.ApiKeys.Add(new ApiKeyRecord
            {
                Name = name,
                Prefix = key[..7],
                Hash = Hash(key),
                Role = role,
                CreatedAt = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            });
            await db.SaveChangesAsync(ct);
        }
        await ReloadAsync(ct);
        return key;
    }
}
