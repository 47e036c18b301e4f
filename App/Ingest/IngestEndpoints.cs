using System.Text.Json;
using System.Text.Json.Nodes;
using Dashboard.Access;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Dashboard.Ingest;

public sealed record IngestResponse(int Accepted, int Duplicates, IReadOnlyList<ItemRejection> Rejected);

public sealed record IngestError(string Error);

/// <summary>
/// <c>POST /ingest</c> and Segment's aliases <c>/v1/batch</c> and <c>/v1/track</c>: parse, check
/// the write key, validate each item, enqueue, and answer once the writer has committed.
/// </summary>
public static class IngestEndpoints
{
    public static IEndpointRouteBuilder MapIngest(this IEndpointRouteBuilder app)
    {
        foreach (var path in new[] { "/ingest", "/v1/batch", "/v1/track" })
        {
            app.MapPost(path, HandleAsync)
                .WithTags("Ingest")
                .WithName(path == "/ingest" ? "Ingest" : "Ingest" + path.Replace("/", "_"))
                .WithSummary(path == "/ingest" ? "Ingest one event or a batch" : $"Segment-compatible alias of /ingest")
                .WithDescription("Takes one event or { batch: [...], sentAt?, userId?, anonymousId?, writeKey? }. " +
                                 "Answers after the accepted events are committed; each item is judged alone and rejected items are quarantined.")
                .Accepts<JsonElement>("application/json")
                .Produces<IngestResponse>()
                .Produces<IngestError>(StatusCodes.Status400BadRequest)
                .Produces<IngestError>(StatusCodes.Status401Unauthorized)
                .Produces<IngestError>(StatusCodes.Status403Forbidden)
                .Produces<IngestError>(StatusCodes.Status413PayloadTooLarge)
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
        return app;
    }

    private static async Task<IResult> HandleAsync(HttpContext http, IOptions<IngestOptions> options,
        EventValidator validator, EventWriter writer, ApiKeyStore keys, TimeProvider clock)
    {
        // A key in the headers is checked before the body is read; one in the body only after.
        var headerKey = ApiKeyHeader.Read(http.Request);
        if (headerKey is not null && RefuseKey(http, keys.Find(headerKey)) is { } refused) return refused;

        var max = options.Value.MaxBodyBytes;
        if (http.Request.ContentLength > max) return TooLarge(max);
        var body = await ReadBodyAsync(http, max);
        if (body is null) return TooLarge(max);

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
            ctx = new BatchContext(Optional(root, "sentAt"), StringField(root, "userId"), StringField(root, "anonymousId"), receivedAt);
        }
        else
        {
            items.Add(root);
            ctx = new BatchContext(null, null, null, receivedAt);
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
                valid.Add(e);
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
        if (!writer.TryEnqueue(request)) return Busy(http);
        WriteResult result;
        try
        {
            result = await request.Task;
        }
        catch (StoreUnavailableException)
        {
            return Busy(http);
        }
        catch (StoreRejectedException ex)
        {
            // Not 503: sending the same request again would fail the same way.
            return Results.Json(new IngestError(ex.Message), statusCode: ex.IsRequestData ? 400 : 500);
        }
        return Results.Ok(new IngestResponse(result.Accepted, result.Duplicates, rejected));
    }

    /// <summary>401 for a key that is not a write key, 403 for a browser origin the key does not list; null: go on.</summary>
    private static IResult? RefuseKey(HttpContext http, ApiKeyIdentity? key)
    {
        if (key?.Role != ApiRoles.Write) return Results.Json(new IngestError("the write key is not valid"), statusCode: 401);
        return BrowserOrigins.Allow(http, key) ? null : Results.Json(new IngestError(BrowserOrigins.Refusal(http, key)), statusCode: 403);
    }

    private static IResult TooLarge(int max) =>
        Results.Json(new IngestError($"the request body is larger than {max} bytes"), statusCode: 413);

    private static IResult Busy(HttpContext http)
    {
        http.Response.Headers.RetryAfter = "1";
        return Results.Json(new IngestError("the write queue is full; retry after the time in Retry-After"), statusCode: 503);
    }

    /// <summary>Reads at most <paramref name="max"/> bytes; null when the body is larger.</summary>
    internal static async Task<byte[]?> ReadBodyAsync(HttpContext http, int max)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;
        using var buffer = new MemoryStream(http.Request.ContentLength is { } len and > 0 ? (int)len : 4096);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (buffer.Length + read > max) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
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
