using System.Text.Json;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dashboard.Flags;

/// <summary>
/// The traits stored from <c>identify</c> calls (a merged anonymous id has its user's), for the attributes targeting rules read, kept in
/// memory so an evaluation can fall back to them when the caller's context does not carry the
/// attribute. Re-read every <see cref="FlagOptions.TraitRefreshSeconds"/>; only users with a value
/// for one of those attributes are held. Values are strings (numbers and booleans as JSON text).
/// </summary>
public sealed class StoredTraits(
    IDbContextFactory<DashboardDbContext> dbFactory,
    FlagCache flags,
    IOptions<FlagOptions> options,
    ILogger<StoredTraits> logger) : BackgroundService
{
    private volatile Dictionary<string, IReadOnlyDictionary<string, string>> _byUser = new(StringComparer.Ordinal);
    private string _loadedFor = "";

    public IReadOnlyDictionary<string, string>? For(string userKey) => _byUser.GetValueOrDefault(userKey);

    private HashSet<string> Attributes() =>
        flags.Snapshot.All.SelectMany(f => f.Flag.State.Rules).Select(r => r.Attribute).ToHashSet(StringComparer.Ordinal);

    private static string Signature(HashSet<string> attributes) => string.Join('\u001f', attributes.Order(StringComparer.Ordinal));

    public async Task ReloadAsync(CancellationToken ct = default)
    {
        var attributes = Attributes();
        var map = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        if (attributes.Count > 0)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var byId = new Dictionary<long, IReadOnlyDictionary<string, string>>();
            await foreach (var u in db.TrackedUsers.AsNoTracking().Where(u => u.Traits != "{}" && u.MergedInto == null)
                               .Select(u => new { u.Id, u.Key, u.Traits }).AsAsyncEnumerable().WithCancellation(ct))
            {
                var traits = Read(u.Traits, attributes);
                if (traits is not null) map[u.Key] = byId[u.Id] = traits;
            }
            // An anonymous id merged into a user is that user: evaluated with it, a flag reads the user's traits.
            await foreach (var u in db.TrackedUsers.AsNoTracking().Where(u => u.MergedInto != null)
                               .Select(u => new { u.Key, Into = u.MergedInto!.Value }).AsAsyncEnumerable().WithCancellation(ct))
                if (byId.TryGetValue(u.Into, out var traits)) map[u.Key] = traits;
        }
        _byUser = map;
        _loadedFor = Signature(attributes);
    }

    /// <summary>The wanted attributes of a traits object, as strings; null when none is there.</summary>
    public static Dictionary<string, string>? Read(string json, IReadOnlySet<string>? wanted)
    {
        Dictionary<string, string>? result = null;
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return null;
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (wanted is not null && !wanted.Contains(p.Name)) continue;
                if (AsString(p.Value) is { } v) (result ??= new(StringComparer.Ordinal))[p.Name] = v;
            }
        }
        catch (JsonException)
        {
            return null;
        }
        return result;
    }

    /// <summary>A scalar as rules compare it: strings as they are, numbers and booleans as JSON text; null otherwise.</summary>
    public static string? AsString(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Checked every second: a rule on a new attribute is served from the stored traits at once,
        // other trait changes within TraitRefreshSeconds.
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var refresh = TimeSpan.FromSeconds(Math.Max(1, options.Value.TraitRefreshSeconds));
        var loadedAt = DateTime.MinValue;
        try
        {
            do
            {
                if (DateTime.UtcNow - loadedAt < refresh && Signature(Attributes()) == _loadedFor) continue;
                try
                {
                    await ReloadAsync(stoppingToken);
                    loadedAt = DateTime.UtcNow;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Reading stored user traits for flag targeting failed");
                }
            } while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }
}
