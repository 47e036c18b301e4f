using System.Text.Json;
using Dashboard.Ingest;
using Microsoft.AspNetCore.Identity;
using Microsoft.OpenApi;

namespace Dashboard.Setup;

/// <summary>
/// The JSON object bodies of the admin write APIs: <c>application/json</c> (a key may leave the type
/// out; a session must send it, so a cross-site form cannot post), at most a given size, parsed to a
/// depth of 16. A failure is a status (400, 413 or 415) with the reason in words.
/// </summary>
public static class JsonBodies
{
    public static async Task<(JsonDocument? Document, int Status, string? Error)> ReadObjectAsync(HttpContext http, int maxBytes)
    {
        var fromSession = http.User.Identity?.AuthenticationType == IdentityConstants.ApplicationScheme;
        var mediaType = http.Request.ContentType?.Split(';')[0].Trim();
        if (!string.Equals(mediaType, "application/json", StringComparison.OrdinalIgnoreCase) && (fromSession || mediaType is not null))
            return (null, 415, "the body must be application/json");
        var tooLarge = $"the request body is larger than {maxBytes} bytes";
        if (http.Request.ContentLength > maxBytes) return (null, 413, tooLarge);
        var body = await IngestBody.ReadBoundedAsync(http, maxBytes);
        if (body is null) return (null, 413, tooLarge);
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
