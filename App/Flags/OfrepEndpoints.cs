using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Dashboard.Access;
using Microsoft.Extensions.Options;

namespace Dashboard.Flags;

public sealed record OfrepRequest(Dictionary<string, JsonElement>? Context);

public sealed record OfrepEvaluation(string Key, JsonElement Value, string Reason, string Variant, Dictionary<string, JsonElement> Metadata);

public sealed record OfrepFailure(string Key, string ErrorCode, string? ErrorDetails);

public sealed record OfrepBulkEvaluation(IReadOnlyList<JsonElement> Flags);

public sealed record OfrepBulkFailure(string ErrorCode, string? ErrorDetails);

public sealed record OfrepGeneralError(string ErrorDetails);

/// <summary>
/// The OpenFeature Remote Evaluation Protocol: <c>POST /ofrep/v1/evaluate/flags/{key}</c> and the bulk
/// <c>POST /ofrep/v1/evaluate/flags</c> (with an ETag of the answer; <c>If-None-Match</c> with the same
/// tag gets 304). Callers present a client key as <c>Authorization: Bearer</c> or <c>X-API-Key</c>.
/// Flags without variants are boolean (variants "on"/"off"); flags with variants answer the variant
/// key as a string, and "off" when off. Everything is served from memory: no request touches the store.
/// </summary>
public static class OfrepEndpoints
{
    private static readonly JsonEncodedText KeyName = JsonEncodedText.Encode("key"), ValueName = JsonEncodedText.Encode("value"),
        ReasonName = JsonEncodedText.Encode("reason"), VariantName = JsonEncodedText.Encode("variant"),
        MetadataName = JsonEncodedText.Encode("metadata"), ErrorCodeName = JsonEncodedText.Encode("errorCode"),
        ErrorDetailsName = JsonEncodedText.Encode("errorDetails"), ExperimentName = JsonEncodedText.Encode("experiment");

    /// <summary>As long as a user id may be: every targeting key can become a user.</summary>
    private const int MaxTargetingKeyLength = Dashboard.Ingest.EventValidator.MaxIdLength;

    public static IEndpointRouteBuilder MapOfrep(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/ofrep/v1/evaluate")
            .WithTags("OFREP")
            .DisableAntiforgery()
            .RequireRateLimiting(IngestRateLimits.FlagsPolicy)
            // The client key is checked by the handlers, so answers keep OFREP's shapes and no session is looked up.
            .AllowAnonymous();

        group.MapPost("/flags/{key}", SingleAsync)
            .WithName("OfrepEvaluateFlag")
            .WithSummary("Evaluate one flag (OpenFeature Remote Evaluation Protocol)")
            .WithDescription("Body { context: { targetingKey, ...attributes } }. A client key as Authorization: Bearer or X-API-Key. " +
                             "Errors: 400 PARSE_ERROR, INVALID_CONTEXT, TARGETING_KEY_MISSING; 404 FLAG_NOT_FOUND.")
            .Accepts<OfrepRequest>("application/json")
            .Produces<OfrepEvaluation>()
            .Produces<OfrepFailure>(StatusCodes.Status400BadRequest)
            .Produces(StatusCodes.Status401Unauthorized)
            .Produces(StatusCodes.Status403Forbidden)
            .Produces<OfrepFailure>(StatusCodes.Status404NotFound)
            .Produces<OfrepGeneralError>(StatusCodes.Status413PayloadTooLarge)
            .Produces(StatusCodes.Status429TooManyRequests);

        group.MapPost("/flags", BulkAsync)
            .WithName("OfrepEvaluateFlags")
            .WithSummary("Evaluate every flag for a context (OpenFeature Remote Evaluation Protocol)")
            .WithDescription("Body { context }. Answers { flags: [...] } with an ETag; If-None-Match with that ETag answers 304 while nothing changed.")
            .Accepts<OfrepRequest>("application/json")
            .Produces<OfrepBulkEvaluation>()
            .Produces(StatusCodes.Status304NotModified)
            .Produces<OfrepBulkFailure>(StatusCodes.Status400BadRequest)
            .Produces(StatusCodes.Status401Unauthorized)
            .Produces(StatusCodes.Status403Forbidden)
            .Produces<OfrepGeneralError>(StatusCodes.Status413PayloadTooLarge)
            .Produces(StatusCodes.Status429TooManyRequests);

        // Browser pages (the OFREP web provider) ask first; the client key's origins decide the rest.
        app.MapPreflight("/ofrep/v1/evaluate/flags/{key}");
        app.MapPreflight("/ofrep/v1/evaluate/flags");
        return app;
    }

    private readonly record struct ParsedContext(string TargetingKey, Dictionary<string, string>? Attributes, string? ErrorCode, string? ErrorDetails);

    private static async Task SingleAsync(HttpContext http, string key, ApiKeyStore keys, LiveEvaluator evaluator, IOptions<FlagOptions> options)
    {
        if (await RefuseCallerAsync(http, keys)) return;
        var context = await ReadContextAsync(http, options.Value.MaxBodyBytes);
        if (context is null) return;
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            if (context.Value.ErrorCode is { } code)
            {
                WriteFailure(json, key, code, context.Value.ErrorDetails);
                http.Response.StatusCode = StatusCodes.Status400BadRequest;
            }
            else if (!evaluator.TryGet(key, out var flag))
            {
                WriteFailure(json, key, "FLAG_NOT_FOUND", $"no flag has the key '{key}'");
                http.Response.StatusCode = StatusCodes.Status404NotFound;
            }
            else
            {
                var ctx = evaluator.Context(context.Value.TargetingKey, context.Value.Attributes);
                var result = evaluator.Evaluate(flag, ctx);
                http.Response.StatusCode = result.Reason == EvaluationReason.TargetingKeyMissing ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK;
                WriteEvaluation(json, evaluator, flag, result);
            }
        }
        await WriteAsync(http, buffer);
    }

    private static async Task BulkAsync(HttpContext http, ApiKeyStore keys, LiveEvaluator evaluator, IOptions<FlagOptions> options)
    {
        if (await RefuseCallerAsync(http, keys)) return;
        var context = await ReadContextAsync(http, options.Value.MaxBodyBytes);
        if (context is null) return;
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var json = new Utf8JsonWriter(buffer))
        {
            if (context.Value.ErrorCode is { } code)
            {
                json.WriteStartObject();
                json.WriteString(ErrorCodeName, code);
                json.WriteString(ErrorDetailsName, context.Value.ErrorDetails);
                json.WriteEndObject();
                json.Flush();
                http.Response.StatusCode = StatusCodes.Status400BadRequest;
                await WriteAsync(http, buffer);
                return;
            }
            var ctx = evaluator.Context(context.Value.TargetingKey, context.Value.Attributes);
            json.WriteStartObject();
            json.WriteStartArray("flags");
            foreach (var flag in evaluator.Snapshot.All) WriteEvaluation(json, evaluator, flag, evaluator.Evaluate(flag, ctx));
            json.WriteEndArray();
            json.WriteEndObject();
        }
        var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan))[..32] + "\"";
        http.Response.Headers.ETag = etag;
        if (Matches(http.Request.Headers.IfNoneMatch.ToString(), etag))
        {
            http.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        await WriteAsync(http, buffer);
    }

    private static bool Matches(string ifNoneMatch, string etag)
    {
        if (ifNoneMatch.Length == 0) return false;
        foreach (var part in ifNoneMatch.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var tag = part.StartsWith("W/", StringComparison.Ordinal) ? part[2..] : part;
            if (tag == "*" || tag == etag) return true;
        }
        return false;
    }

    private static void WriteEvaluation(Utf8JsonWriter json, LiveEvaluator evaluator, CachedFlag flag, Evaluation result)
    {
        if (result.Reason == EvaluationReason.TargetingKeyMissing)
        {
            WriteFailure(json, flag.Flag.Key, "TARGETING_KEY_MISSING", "this flag buckets users: send context.targetingKey");
            return;
        }
        json.WriteStartObject();
        json.WriteString(KeyName, flag.Flag.Key);
        var variant = result.VariantName(flag.Flag);
        if (flag.Flag.HasVariants) json.WriteString(ValueName, variant);
        else json.WriteBoolean(ValueName, result.On);
        json.WriteString(ReasonName, result.ReasonName);
        json.WriteString(VariantName, variant);
        json.WriteStartObject(MetadataName);
        // Only an evaluation that enters the experiment (a variant from the rollout split) names it.
        if (result is { Reason: EvaluationReason.Split, Variant: not null } && evaluator.RunningExperiment(flag) is { } experiment)
            json.WriteString(ExperimentName, experiment.Key);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteFailure(Utf8JsonWriter json, string key, string code, string? details)
    {
        json.WriteStartObject();
        json.WriteString(KeyName, key);
        json.WriteString(ErrorCodeName, code);
        if (details is not null) json.WriteString(ErrorDetailsName, details);
        json.WriteEndObject();
    }

    private static async Task WriteAsync(HttpContext http, ArrayBufferWriter<byte> buffer)
    {
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = buffer.WrittenCount;
        await http.Response.Body.WriteAsync(buffer.WrittenMemory);
    }

    /// <summary>
    /// 401 without a known key, 403 for a key that is not a client key or a browser origin the key
    /// does not list; true when the request was answered.
    /// </summary>
    private static async Task<bool> RefuseCallerAsync(HttpContext http, ApiKeyStore keys)
    {
        var key = keys.Find(ApiKeyHeader.ReadWithApiKeyHeader(http.Request));
        if (key?.Role == ApiRoles.Client)
        {
            if (BrowserOrigins.Allow(http, key)) return false;
            http.Response.StatusCode = StatusCodes.Status403Forbidden;
            await http.Response.WriteAsJsonAsync(new OfrepGeneralError(BrowserOrigins.Refusal(http, key)));
            return true;
        }
        if (key is null)
        {
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            http.Response.Headers.WWWAuthenticate = "Bearer";
            await http.Response.WriteAsJsonAsync(new OfrepGeneralError("a client key is required (Authorization: Bearer <key> or X-API-Key)"));
        }
        else
        {
            http.Response.StatusCode = StatusCodes.Status403Forbidden;
            await http.Response.WriteAsJsonAsync(new OfrepGeneralError("flag evaluation needs a client key"));
        }
        return true;
    }

    /// <summary>The evaluation context of the body; null when the request was already answered (413).</summary>
    private static async Task<ParsedContext?> ReadContextAsync(HttpContext http, int max)
    {
        if (http.Request.ContentLength > max)
        {
            await TooLargeAsync(http, max);
            return null;
        }
        var rented = ArrayPool<byte>.Shared.Rent(Math.Min(max + 1, (int)(http.Request.ContentLength ?? 4096) + 1));
        try
        {
            var length = 0;
            while (true)
            {
                if (length == rented.Length)
                {
                    if (length > max) break;
                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(max + 1, rented.Length * 2));
                    rented.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(rented);
                    rented = bigger;
                }
                var n = await http.Request.Body.ReadAsync(rented.AsMemory(length, Math.Min(rented.Length, max + 1) - length));
                if (n == 0) break;
                length += n;
                if (length > max) break;
            }
            if (length > max)
            {
                await TooLargeAsync(http, max);
                return null;
            }
            return Parse(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static ParsedContext Parse(ReadOnlySpan<byte> body)
    {
        static ParsedContext Fail(string code, string details) => new("", null, code, details);
        JsonDocument doc;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 32 });
            if (!JsonDocument.TryParseValue(ref reader, out doc!)) return Fail("PARSE_ERROR", "the body is empty");
        }
        catch (JsonException ex)
        {
            return Fail("PARSE_ERROR", "the body is not valid JSON: " + ex.Message);
        }
        using var _ = doc;
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) return Fail("PARSE_ERROR", "the body must be a JSON object { \"context\": { ... } }");
        if (!root.TryGetProperty("context", out var context) || context.ValueKind == JsonValueKind.Null) return new ParsedContext("", null, null, null);
        if (context.ValueKind != JsonValueKind.Object) return Fail("INVALID_CONTEXT", "\"context\" must be an object");
        var targetingKey = "";
        Dictionary<string, string>? attributes = null;
        foreach (var p in context.EnumerateObject())
        {
            if (p.NameEquals("targetingKey"))
            {
                if (p.Value.ValueKind == JsonValueKind.Null) continue;
                if (p.Value.ValueKind != JsonValueKind.String) return Fail("INVALID_CONTEXT", "\"targetingKey\" must be a string");
                targetingKey = p.Value.GetString()!;
                if (targetingKey.Length > MaxTargetingKeyLength)
                    return Fail("INVALID_CONTEXT", $"\"targetingKey\" is longer than {MaxTargetingKeyLength} characters");
                continue;
            }
            // Rules compare strings; objects and arrays cannot match a rule and are ignored.
            if (StoredTraits.AsString(p.Value) is { } v) (attributes ??= new(StringComparer.Ordinal))[p.Name] = v;
        }
        return new ParsedContext(targetingKey, attributes, null, null);
    }

    private static async Task TooLargeAsync(HttpContext http, int max)
    {
        http.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
        await http.Response.WriteAsJsonAsync(new OfrepGeneralError($"the request body is larger than {max} bytes"));
    }
}
