using System.IO.Compression;
using Microsoft.AspNetCore.Http.Features;

namespace Dashboard.Ingest;

/// <summary>
/// The body of an ingest request as bytes of JSON. Any content type is read as JSON (analytics.js
/// sends <c>text/plain</c> so a simple request needs no preflight); <c>Content-Encoding: gzip</c>
/// is inflated. The size limit holds twice: for the bytes received (Content-Length is checked
/// before reading) and for the bytes after inflating, where inflation stops one byte past the
/// limit, so a small body that would inflate to gigabytes costs no more than the limit.
/// </summary>
public static class IngestBody
{
    /// <summary>The body, or the answer to give instead (400 corrupt gzip, 413 too large, 415 unknown encoding).</summary>
    public static async Task<(byte[]? Body, IResult? Error)> ReadAsync(HttpContext http, int max)
    {
        var gzip = false;
        foreach (var coding in http.Request.Headers.ContentEncoding.ToString().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (coding.Equals("identity", StringComparison.OrdinalIgnoreCase)) continue;
            if (!gzip && (coding.Equals("gzip", StringComparison.OrdinalIgnoreCase) || coding.Equals("x-gzip", StringComparison.OrdinalIgnoreCase)))
            {
                gzip = true;
                continue;
            }
            return (null, Error(StatusCodes.Status415UnsupportedMediaType,
                $"Content-Encoding '{http.Request.Headers.ContentEncoding}' is not supported: send the body as it is or with Content-Encoding: gzip"));
        }

        if (http.Request.ContentLength > max) return (null, TooLarge(max, gzip));
        var received = await ReadBoundedAsync(http, max);
        if (received is null) return (null, TooLarge(max, gzip));
        if (!gzip) return (received, null);

        try
        {
            await using var inflate = new GZipStream(new MemoryStream(received), CompressionMode.Decompress);
            var body = await CopyBoundedAsync(inflate, max, received.Length * 4, http.RequestAborted);
            return body is null ? (null, TooLarge(max, gzip)) : (body, null);
        }
        catch (InvalidDataException ex)
        {
            return (null, Error(StatusCodes.Status400BadRequest, $"the body is not valid gzip (Content-Encoding: gzip): {ex.Message}"));
        }
    }

    /// <summary>Reads at most <paramref name="max"/> bytes of the body as received; null when it is larger.</summary>
    public static Task<byte[]?> ReadBoundedAsync(HttpContext http, int max)
    {
        // The limit is enforced here so the answer is a JSON 413, not the server's own error.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;
        return CopyBoundedAsync(http.Request.Body, max, http.Request.ContentLength is { } len and > 0 ? (int)Math.Min(len, max) : 4096, http.RequestAborted);
    }

    /// <summary>Copies <paramref name="source"/> until its end, or returns null as soon as it has given more than <paramref name="max"/> bytes.</summary>
    private static async Task<byte[]?> CopyBoundedAsync(Stream source, int max, int capacity, CancellationToken ct)
    {
        using var buffer = new MemoryStream(Math.Clamp(capacity, 256, max + 1));
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await source.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > max) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static IResult TooLarge(int max, bool gzip) =>
        Error(StatusCodes.Status413PayloadTooLarge, gzip
            ? $"the request body is larger than {max} bytes (the limit holds for the body after gzip is inflated)"
            : $"the request body is larger than {max} bytes");

    private static IResult Error(int status, string message) => Results.Json(new IngestError(message), statusCode: status);
}
