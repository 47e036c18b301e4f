using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dashboard.Client;

/// <summary>One flag's evaluation by the server. <see cref="Enabled"/>: value true, or a variant other than "off".</summary>
public sealed record FlagValue(string Key, bool Enabled, string? Variant, string? Reason, string? ErrorCode);

/// <summary>
/// Every flag evaluated by the server for a context, through the OFREP bulk endpoint, kept in
/// memory per context. An entry older than <see cref="DashboardFlagsOptions.RefreshInterval"/> is
/// asked for again with its ETag (<c>If-None-Match</c>; a 304 keeps it). When the server cannot be
/// reached the last answer is kept; with no answer at all every flag is off. Concurrent requests for
/// one context share one call.
/// </summary>
public sealed class FlagEvaluations(IHttpClientFactory httpClients, IOptions<DashboardFlagsOptions> options, TimeProvider clock, ILogger<FlagEvaluations> logger)
{
    public const string HttpClientName = "Dashboard.Flags";

    private static readonly IReadOnlyDictionary<string, FlagValue> None = new Dictionary<string, FlagValue>();

    private sealed record Entry(IReadOnlyDictionary<string, FlagValue> Flags, string? ETag, long FetchedAt);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<Entry?>>> _fetching = new(StringComparer.Ordinal);

    public async ValueTask<IReadOnlyDictionary<string, FlagValue>> GetAsync(FlagContext context, CancellationToken ct = default)
    {
        var key = context.CacheKey;
        if (_entries.TryGetValue(key, out var entry) && clock.GetElapsedTime(entry.FetchedAt) < options.Value.RefreshInterval) return entry.Flags;
        var fetch = _fetching.GetOrAdd(key, _ => new Lazy<Task<Entry?>>(() => FetchAsync(context, entry)));
        try
        {
            return (await fetch.Value.WaitAsync(ct).ConfigureAwait(false))?.Flags ?? entry?.Flags ?? None;
        }
        finally
        {
            _fetching.TryRemove(new KeyValuePair<string, Lazy<Task<Entry?>>>(key, fetch));
        }
    }

    private async Task<Entry?> FetchAsync(FlagContext context, Entry? previous)
    {
        var o = options.Value;
        try
        {
            using var timeout = new CancellationTokenSource(o.RequestTimeout);
            using var request = new HttpRequestMessage(HttpMethod.Post, "ofrep/v1/evaluate/flags") { Content = JsonContent.Create(Body(context)) };
            if (previous?.ETag is { } etag) request.Headers.TryAddWithoutValidation("If-None-Match", etag);
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, timeout.Token).ConfigureAwait(false);
            Entry? fresh = null;
            if (response.StatusCode == HttpStatusCode.NotModified && previous is not null)
                fresh = previous with { FetchedAt = clock.GetTimestamp() };
            else if (response.IsSuccessStatusCode)
            {
                using var doc = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false), cancellationToken: timeout.Token).ConfigureAwait(false);
                fresh = new Entry(Parse(doc.RootElement), response.Headers.ETag?.ToString(), clock.GetTimestamp());
            }
            else
                logger.LogWarning("Flag evaluation answered {Status}; serving the last known flags", (int)response.StatusCode);
            if (fresh is not null) Store(context.CacheKey, fresh);
            return fresh;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or JsonException)
        {
            logger.LogWarning(ex, "Flag evaluation failed; serving the last known flags");
            return null;
        }
    }

    private void Store(string key, Entry entry)
    {
        if (_entries.Count >= options.Value.MaxCachedContexts && !_entries.ContainsKey(key)) _entries.Clear();
        _entries[key] = entry;
    }

    private static Dictionary<string, object> Body(FlagContext context)
    {
        var ctx = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (k, v) in context.Attributes) ctx[k] = v;
        if (context.TargetingKey.Length > 0) ctx["targetingKey"] = context.TargetingKey;
        return new Dictionary<string, object> { ["context"] = ctx };
    }

    private static Dictionary<string, FlagValue> Parse(JsonElement root)
    {
        var flags = new Dictionary<string, FlagValue>(StringComparer.Ordinal);
        if (!root.TryGetProperty("flags", out var list) || list.ValueKind != JsonValueKind.Array) return flags;
        foreach (var f in list.EnumerateArray())
        {
            if (f.ValueKind != JsonValueKind.Object || !f.TryGetProperty("key", out var k) || k.GetString() is not { } key) continue;
            var error = f.TryGetProperty("errorCode", out var e) ? e.GetString() : null;
            var variant = f.TryGetProperty("variant", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var enabled = error is null && f.TryGetProperty("value", out var value) && value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.String => value.GetString() != "off",
                _ => false,
            };
            flags[key] = new FlagValue(key, enabled, error is null ? variant : null, f.TryGetProperty("reason", out var r) ? r.GetString() : null, error);
        }
        return flags;
    }
}
