using System.Globalization;
using System.Threading.RateLimiting;
using Dashboard.Ingest;
using Microsoft.AspNetCore.RateLimiting;

namespace Dashboard.Access;

/// <summary>Settings under <c>RateLimits</c>.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Requests per second each key may send to the ingest endpoints (the token bucket's refill rate).</summary>
    public int IngestPerSecond { get; set; } = 2000;

    /// <summary>Requests a key may send at once after a quiet period (the bucket's size); 0 means twice the rate.</summary>
    public int IngestBurst { get; set; }

    /// <summary>Requests per second each key may send to the flag evaluation (OFREP) endpoints.</summary>
    public int FlagsPerSecond { get; set; } = 50_000;

    /// <summary>The flag evaluation bucket's size; 0 means twice the rate.</summary>
    public int FlagsBurst { get; set; }
}

/// <summary>
/// A token bucket per API key on <c>/ingest</c> and its aliases. A request is counted against the
/// key in its <c>Authorization</c> header when that key is known; requests with an unknown key or
/// with the key only in the body share a bucket per client address, so made-up keys cannot open
/// unlimited buckets. Refused requests get <c>429</c> with <c>Retry-After</c> in whole seconds.
/// </summary>
public static class IngestRateLimits
{
    public const string Policy = "ingest";

    /// <summary>The same token bucket per key on the OFREP endpoints, with its own rate; the key may also come as <c>X-API-Key</c>.</summary>
    public const string FlagsPolicy = "flags";

    public static void Configure(RateLimiterOptions options, RateLimitOptions limits)
    {
        options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        options.OnRejected = OnRejectedAsync;
        AddTokenBucket(options, Policy, limits.IngestPerSecond, limits.IngestBurst, ApiKeyHeader.Read);
        AddTokenBucket(options, FlagsPolicy, limits.FlagsPerSecond, limits.FlagsBurst, ApiKeyHeader.ReadWithApiKeyHeader);
    }

    private static void AddTokenBucket(RateLimiterOptions options, string policy, int rate, int burstSetting, Func<HttpRequest, string?> readKey)
    {
        var perSecond = Math.Max(1, rate);
        var burst = burstSetting > 0 ? burstSetting : perSecond * 2;
        options.AddPolicy(policy, http => RateLimitPartition.GetTokenBucketLimiter(PartitionKey(http, readKey), _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    private static string PartitionKey(HttpContext http, Func<HttpRequest, string?> readKey)
    {
        var key = readKey(http.Request);
        if (key is not null && http.RequestServices.GetRequiredService<ApiKeyStore>().FindRole(key) is not null)
            return "key:" + ApiKeyStore.Hash(key);
        return "address:" + ClientAddress.PartitionKey(http.Connection.RemoteIpAddress);
    }

    private static async ValueTask OnRejectedAsync(OnRejectedContext context, CancellationToken ct)
    {
        var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 1;
        var response = context.HttpContext.Response;
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await response.WriteAsJsonAsync(new IngestError($"too many requests for this key; retry after {seconds} s"), ct);
    }
}
