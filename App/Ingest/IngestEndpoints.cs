using System.Text.Json;
using System.Text.Json.Nodes;
using Dashboard.Access;
using Microsoft.Extensions.Options;

namespace Dashboard.Ingest;

public sealed record IngestResponse(int Accepted, int Duplicates, IReadOnlyList<ItemRejection> Rejected);

public sealed record IngestError(string Error);

/// <summary>
/// <c>POST /ingest</c> and the paths of Segment's tracking API: parse, check the write key,
/// validate each item, enqueue, and answer once the writer has committed.
/// </summary>
public static class IngestEndpoints
{
    /// <summary>
    /// Every ingest path and the message type it gives items without a "type": the batch paths take
    /// any mix (track by default), each single-message path its own call.
    /// </summary>
    public static readonly IReadOnlyList<(string Path, MessageType DefaultType)> Paths =
    [
        ("/ingest", MessageType.Track),
        ("/v1/batch", MessageType.Track), ("/v1/b", MessageType.Track), ("/v1/import", MessageType.Track),
        ("/v1/track", MessageType.Track), ("/v1/t", MessageType.Track),
        ("/v1/identify", MessageType.Identify), ("/v1/i", MessageType.Identify),
        ("/v1/page", MessageType.Page), ("/v1/p", MessageType.Page),
        ("/v1/screen", MessageType.Screen), ("/v1/s", MessageType.Screen),
        ("/v1/group", MessageType.Group), ("/v1/g", MessageType.Group),
        ("/v1/alias", MessageType.Alias), ("/v1/a", MessageType.Alias),
    ];

    private static readonly string[] BatchPaths = ["/v1/batch", "/v1/b", "/v1/import"];

    public static IEndpointRouteBuilder MapIngest(this IEndpointRouteBuilder app)
    {
        foreach (var (path, type) in Paths)
        {
            app.MapPost(path, (HttpContext http, IOptions<IngestOptions> options, EventValidator validator, EventWriter writer, ApiKeyStore keys, TimeProvider clock) =>
                    HandleAsync(http, type, options, validator, writer, keys, clock))
                .WithTags("Ingest")
                .WithName(path == "/ingest" ? "Ingest" : "Ingest" + path.Replace("/", "_"))
                .WithSummary(Summary(path, type))
                .WithDescription("Takes one event or { batch: [...], sentAt?, userId?, anonymousId?, writeKey? } as JSON " +
                                 "(application/json or text/plain, optionally Content-Encoding: gzip; Ingest:MaxBodyBytes, 500 KB, holds after inflating). " +
                                 "Answers after the accepted events are committed; each item is judged alone and rejected items are quarantined.")
                .Accepts<JsonElement>("application/json", "text/plain")
                .Produces<IngestResponse>()
                .Produces<IngestError>(StatusCodes.Status400BadRequest)
                .Produces<IngestError>(StatusCodes.Status401Unauthorized)
                .Produces<IngestError>(StatusCodes.Status403Forbidden)
                .Produces<IngestError>(StatusCodes.Status413PayloadTooLarge)
                .Produces<IngestError>(StatusCodes.Status415UnsupportedMediaType)
                .Produces<IngestError>(StatusCodes.Status429TooManyRequests)
                .Produces<IngestError>(StatusCodes.Status500InternalServerError)
                .Produces<IngestError>(StatusCodes.Status503ServiceUnavailable)
                .DisableAntiforgery()
                .RequireRateLimiting(IngestRateLimits.Policy)
                // The write key is checked here, not by the authentication middleware: Segment's
                // clients may send it in the body, and the 401 answers keep their JSON shape.
                .AllowAnonymous();
            app.MapPreflight(path);
        }
        app.MapSourceSettings();
        return app;
    }

    private static string Summary(string path, MessageType type) =>
        path == "/ingest" ? "Ingest one event or a batch"
        : BatchPaths.Contains(path) ? "Segment's batch call: a batch of any message types (track without a type)"
        : $"Segment's {type.ToString().ToLowerInvariant()} call: items without a type are {type.ToString().ToLowerInvariant()} messages";

    private static async Task<IResult> HandleAsync(HttpContext http, MessageType defaultType, IOptions<IngestOptions> options,
        EventValidator validator, EventWriter writer, ApiKeyStore keys, TimeProvider clock)
    {
        // A key in the headers is checked before the body is read; one in the body only after.
        var headerKey = ApiKeyHeader.Read(http.Request);
        if (headerKey is not null && RefuseKey(http, keys.Find(headerKey)) is { } refused) return refused;

        var (body, unreadable) = await IngestBody.ReadAsync(http, options.Value.MaxBodyBytes);
        if (body is null) return unreadable!;

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            return Results.Json(new IngestError($"the body is not valid JSON: {ex.Message}"), statusCode: 400);
        }
        using var _ = doc;
        var root = doc.RootElement;

        if (headerKey is null)
        {
            var bodyKey = StringField(root, "writeKey");
            if (bodyKey is null)
                return Results.Json(new IngestError("a write key is required (HTTP Basic username, Bearer token or writeKey)"), statusCode: 401);
            if (RefuseKey(http, keys.Find(bodyKey)) is { } bodyRefused) return bodyRefused;
        }

        if (root.ValueKind != JsonValueKind.Object)
            return Results.Json(new IngestError("the body must be a JSON object: one event or { \"batch\": [ ... ] }"), statusCode: 400);

        var receivedAt = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var items = new List<JsonElement>();
        BatchContext ctx;
        if (root.TryGetProperty("batch", out var batch))
        {
            if (batch.ValueKind != JsonValueKind.Array)
                return Results.Json(new IngestError("\"batch\" must be an array of events"), statusCode: 400);
            var count = batch.GetArrayLength();
            if (count > options.Value.MaxBatchItems)
                return Results.Json(new IngestError($"the batch holds {count} items; at most {options.Value.MaxBatchItems} are taken in one request"), statusCode: 413);
            if (BatchFieldError(root) is { } fieldError)
                return Results.Json(new IngestError(fieldError), statusCode: 400);
            items.AddRange(batch.EnumerateArray());
            ctx = new BatchContext(Optional(root, "sentAt"), StringField(root, "userId"), StringField(root, "anonymousId"), receivedAt, defaultType);
        }
        else
        {
            items.Add(root);
            ctx = new BatchContext(null, null, null, receivedAt, defaultType);
        }
        if (items.Count == 0)
            return Results.Json(new IngestError("the body holds no event"), statusCode: 400);

        var valid = new List<ValidEvent>(items.Count);
        var quarantine = new List<QuarantineItem>();
        var rejected = new List<ItemRejection>();
        // Each quarantined item carries the batch's fields, so a request's rows could hold many times
        // its body; together they keep at most MaxBodyBytes characters, and the rest are kept cut.
        long quarantineRoom = options.Value.MaxBodyBytes;
        for (var i = 0; i < items.Count; i++)
        {
            var outcome = validator.Validate(items[i], ctx);
            if (outcome.Event is { } e)
            {
                valid.Add(e with { Index = i });
                continue;
            }
            var r = outcome.Rejection!.Value;
            rejected.Add(new ItemRejection(i, r.Code, r.Error));
            var room = (int)Math.Min(options.Value.MaxEventBytes, quarantineRoom);
            var item = QuarantineItem.Of(StringField(items[i], "event"), $"{r.Code}: {r.Error}", QuarantinePayload(items[i], ctx), room,
                room < options.Value.MaxEventBytes ? $"the quarantine keeps at most {options.Value.MaxBodyBytes} characters of one request" : null);
            quarantineRoom -= item.Payload.Length;
            quarantine.Add(item);
        }

        var request = new WriteRequest(valid, quarantine, receivedAt);
        if (!writer.TryEnqueue(request)) return Busy(http, QueueFull);
        WriteResult result;
        try
        {
            result = await request.Task;
        }
        catch (StoreUnavailableException)
        {
            return Busy(http, StoreUnavailable);
        }
        catch (StoreRejectedException ex)
        {
            // Not 503: sending the same request again would fail the same way.
            return Results.Json(new IngestError(ex.Message), statusCode: ex.IsRequestData ? 400 : 500);
        }
        Operations.DashboardMeters.IngestAccepted.Add(result.Accepted);
        Operations.DashboardMeters.IngestDuplicates.Add(result.Duplicates);
        Operations.DashboardMeters.IngestRejected.Add(rejected.Count + result.Refused.Count);
        return Results.Ok(new IngestResponse(result.Accepted, result.Duplicates,
            result.Refused.Count == 0 ? rejected : [.. rejected.Concat(result.Refused).OrderBy(r => r.Index)]));
    }

    /// <summary>401 for a key that is not a write key, 403 for a browser origin the key does not list; null: go on.</summary>
    private static IResult? RefuseKey(HttpContext http, ApiKeyIdentity? key)
    {
        if (key?.Role != ApiRoles.Write) return Results.Json(new IngestError("the write key is not valid"), statusCode: 401);
        return BrowserOrigins.Allow(http, key) ? null : Results.Json(new IngestError(BrowserOrigins.Refusal(http, key)), statusCode: 403);
    }

    private static readonly (string RetryAfter, string Error) QueueFull = ("1", "the write queue is full; retry after the time in Retry-After");

    // A locked or full store takes longer to come back than a queue to drain.
    private static readonly (string RetryAfter, string Error) StoreUnavailable =
        ("5", "the event store is unavailable (busy, locked or full); nothing of this request was stored; retry after the time in Retry-After");

    private static IResult Busy(HttpContext http, (string RetryAfter, string Error) reason)
    {
        http.Response.Headers.RetryAfter = reason.RetryAfter;
        return Results.Json(new IngestError(reason.Error), statusCode: 503);
    }

    /// <summary>The batch's own userId, anonymousId and sentAt go into every item, so one that no item could pass refuses the request.</summary>
    private static string? BatchFieldError(JsonElement root)
    {
        foreach (var name in new[] { "userId", "anonymousId" })
            if (StringField(root, name) is { Length: > EventValidator.MaxIdLength })
                return $"the batch's {name} is longer than {EventValidator.MaxIdLength} characters";
        if (Optional(root, "sentAt") is { } sentAt && !EventValidator.TryParseInstant(sentAt, out _))
            return "the batch's sentAt is not an ISO-8601 date and time string";
        return null;
    }

    private static JsonElement? Optional(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static string? StringField(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>The item as received, with the batch's identity and sentAt folded in so it can be replayed alone.</summary>
    internal static string QuarantinePayload(JsonElement item, BatchContext ctx)
    {
        if (item.ValueKind != JsonValueKind.Object) return item.GetRawText();
        var node = JsonNode.Parse(item.GetRawText())!.AsObject();
        node.Remove("writeKey"); // a key is never stored in plain text
        if (ctx.UserId is { } u && !node.ContainsKey("userId")) node["userId"] = u;
        if (ctx.AnonymousId is { } a && !node.ContainsKey("anonymousId")) node["anonymousId"] = a;
        if (ctx.SentAt is { } s && !node.ContainsKey("sentAt")) node["sentAt"] = JsonNode.Parse(s.GetRawText());
        return node.ToJsonString();
    }
}
