using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Dashboard.Client;

/// <summary>What telemetry and flags share: options with the dashboard's address and a key, and a named HttpClient that presents the key.</summary>
internal static class DashboardConnection
{
    public static OptionsBuilder<TOptions> AddDashboardConnection<TOptions>(this IServiceCollection services, Action<TOptions> configure,
        string httpClientName, Func<TOptions, Uri?> endpoint, Func<TOptions, string> key, Action<TOptions, HttpClient>? configureHttp = null)
        where TOptions : class
    {
        var name = typeof(TOptions).Name;
        var options = services.AddOptions<TOptions>()
            .Configure(configure)
            .Validate(o => endpoint(o) is { IsAbsoluteUri: true }, $"{name}: the Endpoint must be an absolute URI")
            .Validate(o => key(o).Length > 0, $"{name}: a key is required")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(httpClientName, (sp, http) =>
        {
            var o = sp.GetRequiredService<IOptions<TOptions>>().Value;
            http.BaseAddress = WithTrailingSlash(endpoint(o)!);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key(o));
            configureHttp?.Invoke(o, http);
        });
        return options;
    }

    /// <summary>A base address that keeps its path when relative paths are resolved against it (<c>https://host/dashboard</c> → <c>…/dashboard/</c>).</summary>
    private static Uri WithTrailingSlash(Uri endpoint) =>
        endpoint.AbsoluteUri.EndsWith('/') ? endpoint : new Uri(endpoint.AbsoluteUri + "/");
}
