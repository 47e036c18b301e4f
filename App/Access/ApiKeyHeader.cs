using System.Net.Http.Headers;
using System.Text;

namespace Dashboard.Access;

/// <summary>Reads an API key from <c>Authorization: Bearer &lt;key&gt;</c> or, as Segment sends it, the HTTP Basic username.</summary>
public static class ApiKeyHeader
{
    /// <summary>As <see cref="Read"/>, then the <c>X-API-Key</c> header that OpenFeature's OFREP providers can send.</summary>
    public static string? ReadWithApiKeyHeader(HttpRequest request) =>
        Read(request) ?? (request.Headers["X-API-Key"].ToString() is { Length: > 0 } k ? k : null);

    public static string? Read(HttpRequest request)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var auth) || auth.Parameter is null) return null;
        if (auth.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase)) return auth.Parameter;
        if (!auth.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            // Segment sends the write key as the Basic username with an empty password.
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth.Parameter));
            var colon = decoded.IndexOf(':');
            return colon >= 0 ? decoded[..colon] : decoded;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
