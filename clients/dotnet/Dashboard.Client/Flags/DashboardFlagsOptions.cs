using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace Dashboard.Client;

/// <summary>Where flags are evaluated and who they are evaluated for.</summary>
public sealed class DashboardFlagsOptions
{
    /// <summary>The dashboard's base address; evaluations come from <c>POST /ofrep/v1/evaluate/flags</c> under it.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>A client key (sent as <c>Authorization: Bearer</c>).</summary>
    public string ClientKey { get; set; } = "";

    /// <summary>How long one context's evaluations are served from memory before they are asked for again (with <c>If-None-Match</c>).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The claim of the signed-in user that is the targeting key (the user id the server buckets by).</summary>
    public string TargetingClaim { get; set; } = ClaimTypes.NameIdentifier;

    /// <summary>Overrides <see cref="TargetingClaim"/>: the targeting key of a request (null or empty: anonymous).</summary>
    public Func<HttpContext, string?>? TargetingKey { get; set; }

    /// <summary>Attributes that targeting rules read, e.g. <c>cohort</c>, besides the traits the server has stored.</summary>
    public Func<HttpContext, IReadOnlyDictionary<string, string>?>? Attributes { get; set; }

    /// <summary>Contexts kept in memory; past this the cache starts over.</summary>
    public int MaxCachedContexts { get; set; } = 10_000;

    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
