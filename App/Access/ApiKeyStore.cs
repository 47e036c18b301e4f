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
    /// <summary>Web origins a write or client key may be used from (<c>Auth:ApiKeys:N:Origins</c>); none: servers only.</summary>
    public List<string> Origins { get; set; } = [];
}

/// <summary>
/// Resolves an API key to its role. Keys come from configuration (<c>Auth:ApiKeys</c>) and from the
/// database, where only a SHA-256 hash is stored. Lookups hash the presented key and read an
/// in-memory map, so no key is compared in plain text and none needs to be logged.
/// </summary>
public sealed class ApiKeyStore(IConfiguration configuration, IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    private volatile Dictionary<string, ApiKeyIdentity> _byHash = new(StringComparer.Ordinal);
    private volatile HashSet<string> _origins = new(StringComparer.Ordinal);

    /// <summary>How much of a created key is kept in plain text to tell keys apart (the role letter, "k_" and four random characters).</summary>
    public const int PrefixLength = 7;

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public string? FindRole(string? key) => Find(key)?.Role;

    /// <summary>The key's role and name (the name given on the keys page; configured keys are "configured ROLE key").</summary>
    public ApiKeyIdentity? Find(string? key) =>
        string.IsNullOrEmpty(key) ? null : _byHash.GetValueOrDefault(Hash(key));

    public bool HasAnyWithRole(string role) => _byHash.Values.Any(k => k.Role == role);

    /// <summary>Whether some active key lists the origin: what a CORS preflight, which carries no key, is answered by.</summary>
    public bool IsKnownOrigin(string origin) => _origins.Contains(origin);

    /// <summary>Only write and client keys are used from browsers; origins on other keys are not kept.</summary>
    public static bool TakesOrigins(string role) => role is ApiRoles.Write or ApiRoles.Client;

    // Reloads run one at a time, so an older read can never replace a newer one (a revoked key stays revoked).
    private readonly SemaphoreSlim _reload = new(1, 1);

    public async Task ReloadAsync(CancellationToken ct = default)
    {
        await _reload.WaitAsync(ct);
        try
        {
            await LoadAsync(ct);
        }
        finally
        {
            _reload.Release();
        }
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var map = new Dictionary<string, ApiKeyIdentity>(StringComparer.Ordinal);
        foreach (var k in configuration.GetSection("Auth:ApiKeys").Get<List<ConfiguredApiKey>>() ?? [])
        {
            if (k.Key.Length == 0 || !ApiRoles.All.Contains(k.Role)) continue;
            var (origins, error) = BrowserOrigins.Parse(string.Join(' ', k.Origins));
            if (error is not null) throw new InvalidOperationException($"Auth:ApiKeys: the configured {k.Role} key's origins: {error}");
            map[Hash(k.Key)] = new ApiKeyIdentity(k.Role, $"configured {k.Role} key", ConfiguredPrefix(k.Key), TakesOrigins(k.Role) ? origins : []);
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        foreach (var k in await db.ApiKeys.AsNoTracking().Where(k => k.RevokedAt == null).ToListAsync(ct))
            map[k.Hash] = new ApiKeyIdentity(k.Role, k.Name, k.Prefix, TakesOrigins(k.Role) ? BrowserOrigins.Parse(k.Origins).Origins : []);
        _origins = map.Values.SelectMany(k => k.Origins).ToHashSet(StringComparer.Ordinal);
        _byHash = map;
    }

    /// <summary>At most a quarter of a configured key (they may be short), so the part shown in audits gives little away.</summary>
    private static string ConfiguredPrefix(string key) => key[..Math.Min(PrefixLength, key.Length / 4)];

    /// <summary>Creates a key, stores its hash and returns the key itself: the only time it is visible.</summary>
    /// <param name="origins">The web origins a write or client key may be used from, separated by commas or spaces; none: servers only.</param>
    public async Task<string> CreateAsync(string name, string role, string? origins = null, CancellationToken ct = default)
    {
        name = name.Trim();
        if (name.Length is 0 or > 100) throw new ArgumentException("A key needs a name of 1 to 100 characters.", nameof(name));
        if (!ApiRoles.All.Contains(role)) throw new ArgumentException($"Unknown key role '{role}'.", nameof(role));
        var (parsed, error) = BrowserOrigins.Parse(origins);
        if (error is not null) throw new ArgumentException(error, nameof(origins));
        if (parsed.Count > 0 && !TakesOrigins(role))
            throw new ArgumentException("Only write and client keys are used from browsers; leave the origins empty for a read or admin key.", nameof(origins));
        if (parsed.Count > 50) throw new ArgumentException("A key lists at most 50 origins.", nameof(origins));
        var key = $"{role[0]}k_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20))}";
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            db.ApiKeys.Add(new ApiKeyRecord
            {
                Name = name,
                Prefix = key[..PrefixLength],
                Hash = Hash(key),
                Role = role,
                Origins = string.Join(' ', parsed),
                CreatedAt = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            });
            await db.SaveChangesAsync(ct);
        }
        await ReloadAsync(ct);
        return key;
    }

    /// <summary>The keys created in the UI or at first start, newest first (configured keys are not listed: they live in configuration).</summary>
    public async Task<IReadOnlyList<ApiKeyRow>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.ApiKeys.AsNoTracking().OrderByDescending(k => k.CreatedAt).ThenByDescending(k => k.Id).ToListAsync(ct);
        return rows.Select(k => new ApiKeyRow(k.Id, k.Name, k.Prefix, k.Role, BrowserOrigins.Parse(k.Origins).Origins,
            DateTimeOffset.FromUnixTimeMilliseconds(k.CreatedAt),
            k.RevokedAt is { } r ? DateTimeOffset.FromUnixTimeMilliseconds(r) : null)).ToList();
    }

    /// <summary>Revokes a key: from now on it authenticates nothing. False when there is no such key or it was already revoked.</summary>
    public async Task<bool> RevokeAsync(int id, CancellationToken ct = default)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var changed = await db.ApiKeys.Where(k => k.Id == id && k.RevokedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(k => k.RevokedAt, now), ct);
            if (changed == 0) return false;
        }
        await ReloadAsync(ct);
        return true;
    }
}

/// <param name="Prefix">The key's first characters, as the keys page shows them.</param>
/// <param name="Origins">The web origins browsers may use the key from, canonical (scheme://host[:port]); empty: servers only.</param>
public sealed record ApiKeyIdentity(string Role, string Name, string Prefix, IReadOnlyList<string> Origins)
{
    /// <summary>How the key appears as an actor in audits, e.g. <c>key:deploy pipeline (ak_1f2e)</c>; no person's name can look like it.</summary>
    public string AuditName => $"{AuditNamePrefix}{Name} ({Prefix})";

    public const string AuditNamePrefix = "key:";
}

public sealed record ApiKeyRow(int Id, string Name, string Prefix, string Role, IReadOnlyList<string> Origins, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);
