using System.Text.Json.Nodes;
using Dashboard.Access;

namespace Dashboard.Ingest;

/// <summary>
/// <c>GET /v1/projects/{writeKey}/settings</c>: the source settings analytics.js
/// (<c>@segment/analytics-next</c>) loads from its <c>cdnURL</c> before it sends anything. The
/// answer names only the "Segment.io" integration, pointed at this server's own <c>/v1</c> paths
/// (scheme and host as the request reached the app), so a page needs nothing but <c>cdnURL</c>;
/// an <c>apiHost</c> given at load still wins. Remote metrics are off (<c>sampleRate: 0</c>): this
/// server has no <c>/v1/m</c>. An unknown key, or one that is not a write key, is 404: the URL
/// names a source that does not exist. The key is part of the path, so request lines are logged
/// with it masked (<see cref="KeyRedactingLoggerFactory"/>).
/// </summary>
public static class SourceSettingsEndpoints
{
    public const string Pattern = "/v1/projects/{writeKey}/settings";

    public static IEndpointRouteBuilder MapSourceSettings(this IEndpointRouteBuilder app)
    {
        app.MapGet(Pattern, Settings)
            .WithTags("Ingest")
            .WithName("SourceSettings")
            .WithSummary("Source settings for analytics.js (its cdnURL is this server)")
            .WithDescription("What @segment/analytics-next loads at start: the Segment.io integration with this server as its apiHost. " +
                             "CORS-enabled for the origins listed on the write key.")
            .Produces<JsonObject>()
            .Produces<IngestError>(StatusCodes.Status403Forbidden)
            .Produces<IngestError>(StatusCodes.Status404NotFound)
            .Produces<IngestError>(StatusCodes.Status429TooManyRequests)
            .RequireRateLimiting(IngestRateLimits.Policy)
            .AllowAnonymous();
        app.MapPreflight(Pattern);
        return app;
    }

    private static IResult Settings(HttpContext http, string writeKey, ApiKeyStore keys)
    {
        var key = keys.Find(writeKey);
        if (key?.Role != ApiRoles.Write)
            return Results.Json(new IngestError("no source has this write key"), statusCode: StatusCodes.Status404NotFound);
        if (!BrowserOrigins.Allow(http, key))
            return Results.Json(new IngestError(BrowserOrigins.Refusal(http, key)), statusCode: StatusCodes.Status403Forbidden);
        return Results.Json(Build(writeKey, http.Request.Scheme, http.Request.Host.ToString()));
    }

    /// <summary>The settings object; the field names are analytics.js's (its <c>CDNSettings</c> type).</summary>
    public static JsonObject Build(string writeKey, string scheme, string host) => new()
    {
        ["integrations"] = new JsonObject
        {
            ["Segment.io"] = new JsonObject
            {
                ["apiKey"] = writeKey,
                ["apiHost"] = host + "/v1",
                ["protocol"] = scheme,
                ["unbundledIntegrations"] = new JsonArray(),
                ["addBundledMetadata"] = true,
                ["maybeBundledConfigIds"] = new JsonObject(),
                ["versionSettings"] = new JsonObject { ["componentTypes"] = new JsonArray("browser") },
            },
        },
        ["plan"] = new JsonObject
        {
            ["track"] = new JsonObject { ["__default"] = new JsonObject { ["enabled"] = true, ["integrations"] = new JsonObject() } },
            ["identify"] = new JsonObject { ["__default"] = new JsonObject { ["enabled"] = true } },
            ["group"] = new JsonObject { ["__default"] = new JsonObject { ["enabled"] = true } },
        },
        ["edgeFunction"] = new JsonObject(),
        ["analyticsNextEnabled"] = true,
        ["middlewareSettings"] = new JsonObject(),
        ["enabledMiddleware"] = new JsonObject(),
        ["metrics"] = new JsonObject { ["sampleRate"] = 0 },
        ["legacyVideoPluginsEnabled"] = false,
        ["remotePlugins"] = new JsonArray(),
    };
}
