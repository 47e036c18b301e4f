using System.Text.Json;
using Dashboard.Ingest;
using Microsoft.AspNetCore.Identity;
using Microsoft.OpenApi;

namespace Dashboard.Setup;

/// <summary>The JSON object bodies of the admin write endpoints: read bounded, parsed, checked to be an object; documented in OpenAPI.</summary>
public static class JsonBody
{
    /// <summary>
    /// The parsed object, or the status (400, 413, 415) and message to answer. A session's request
    /// must say application/json; an API key's may also omit the content type.
    /// </summary>
    public static async Task<(JsonDocument? Document, int Status, string? Error)> ReadObjectAsync(HttpContext http, int maxBytes)
    {
        var fromSession = http.User.Identity?.AuthenticationType == IdentityConstants.ApplicationScheme;
        var mediaType = http.Request.ContentType?.Split(';')[0].Trim();
        if (!string.Equals(mediaType, "application/json", StringComparison.OrdinalIgnoreCase) && (fromSession || mediaType is not null))
            return (null, 415, "the body must be application/json");
        if (http.Request.ContentLength > maxBytes) return (null, 413, $"the request body is larger than {maxBytes} bytes");
        var body = await IngestBody.ReadBoundedAsync(http, maxBytes);
        if (body is null) return (null, 413, $"the request body is larger than {maxBytes} bytes");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            return (null, 400, $"the body is not valid JSON: {ex.Message}");
        }
        if (doc.RootElement.ValueKind == JsonValueKind.Object) return (doc, 200, null);
        doc.Dispose();
        return (null, 400, "the body must be a JSON object");
    }

    /// <summary>
    /// Documents a JSON object body without <c>Accepts</c> metadata: that would make routing answer
    /// other content types with a bare 415, while the handler answers them with a JSON error.
    /// </summary>
    public static RouteHandlerBuilder JsonObjectBody(this RouteHandlerBuilder builder) =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.Object } },
                },
            };
            return Task.CompletedTask;
        });
}
