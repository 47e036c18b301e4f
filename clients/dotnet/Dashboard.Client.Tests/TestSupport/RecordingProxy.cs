using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dashboard.Client.Tests.TestSupport;

/// <summary>
/// A small real Kestrel server between the client and the dashboard: it records every request and
/// forwards it, unless an answer was scripted for it (e.g. 429 with Retry-After once).
/// </summary>
public sealed class RecordingProxy : IAsyncDisposable
{
    public sealed record Seen(DateTimeOffset At, string Method, string Path, string Body, int Status);

    public sealed record Scripted(HttpStatusCode Status, TimeSpan? RetryAfter = null, string Body = "");

    private readonly WebApplication _app;
    private readonly HttpClient _upstream;

    public ConcurrentQueue<Scripted> Script { get; } = new();

    public ConcurrentQueue<Seen> Requests { get; } = new();

    private RecordingProxy(WebApplication app, HttpClient upstream)
    {
        _app = app;
        _upstream = upstream;
    }

    public Uri Address { get; private set; } = null!;

    public static async Task<RecordingProxy> StartAsync(Uri upstream)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var proxy = new RecordingProxy(app, new HttpClient { BaseAddress = upstream });
        app.Run(proxy.HandleAsync);
        await app.StartAsync();
        proxy.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return proxy;
    }

    private async Task HandleAsync(HttpContext http)
    {
        var body = await new StreamReader(http.Request.Body).ReadToEndAsync();
        if (Script.TryDequeue(out var scripted))
        {
            Requests.Enqueue(new Seen(DateTimeOffset.UtcNow, http.Request.Method, http.Request.Path, body, (int)scripted.Status));
            http.Response.StatusCode = (int)scripted.Status;
            if (scripted.RetryAfter is { } wait) http.Response.Headers.RetryAfter = ((int)wait.TotalSeconds).ToString();
            await http.Response.WriteAsync(scripted.Body);
            return;
        }
        using var request = new HttpRequestMessage(new HttpMethod(http.Request.Method), http.Request.Path + http.Request.QueryString)
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        if (http.Request.Headers.Authorization.ToString() is { Length: > 0 } auth) request.Headers.TryAddWithoutValidation("Authorization", auth);
        if (http.Request.Headers.IfNoneMatch.ToString() is { Length: > 0 } etag) request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        using var response = await _upstream.SendAsync(request);
        Requests.Enqueue(new Seen(DateTimeOffset.UtcNow, http.Request.Method, http.Request.Path, body, (int)response.StatusCode));
        http.Response.StatusCode = (int)response.StatusCode;
        if (response.Headers.ETag is { } tag) http.Response.Headers.ETag = tag.ToString();
        if (response.Headers.RetryAfter is { } retryAfter) http.Response.Headers.RetryAfter = retryAfter.ToString();
        if (response.Content.Headers.ContentType is { } type) http.Response.ContentType = type.ToString();
        await http.Response.Body.WriteAsync(await response.Content.ReadAsByteArrayAsync());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}
