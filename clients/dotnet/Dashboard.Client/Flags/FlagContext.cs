using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.FeatureManagement.FeatureFilters;

namespace Dashboard.Client;

/// <summary>An OFREP evaluation context: the targeting key (empty: anonymous) and attributes.</summary>
public sealed record FlagContext(string TargetingKey, IReadOnlyDictionary<string, string> Attributes)
{
    public static readonly FlagContext Anonymous = new("", new Dictionary<string, string>());

    /// <summary>The cache key: the targeting key and the attributes in order.</summary>
    internal string CacheKey => Attributes.Count == 0
        ? TargetingKey
        : TargetingKey + "\n" + string.Join("\n", Attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Key + "=" + a.Value));
}

/// <summary>The flag context of the current request: its user's targeting key (a claim, or the configured function) and attributes.</summary>
public sealed class FlagContextAccessor(IHttpContextAccessor http, IOptions<DashboardFlagsOptions> options)
{
    public FlagContext Current()
    {
        if (http.HttpContext is not { } context) return FlagContext.Anonymous;
        var o = options.Value;
        var key = o.TargetingKey is { } read ? read(context) : context.User.FindFirst(o.TargetingClaim)?.Value;
        var attributes = o.Attributes?.Invoke(context);
        return string.IsNullOrEmpty(key) && attributes is not { Count: > 0 }
            ? FlagContext.Anonymous
            : new FlagContext(key ?? "", attributes ?? FlagContext.Anonymous.Attributes);
    }
}

/// <summary>Gives Microsoft.FeatureManagement the same user as the evaluations.</summary>
internal sealed class DashboardTargetingContextAccessor(FlagContextAccessor contexts) : ITargetingContextAccessor
{
    public ValueTask<TargetingContext> GetContextAsync() =>
        ValueTask.FromResult(new TargetingContext { UserId = contexts.Current().TargetingKey, Groups = [] });
}
