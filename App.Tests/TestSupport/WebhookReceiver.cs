using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dashboard.Tests.TestSupport;

/// <summary>
/// A real Kestrel server on a free local port that takes webhook POSTs: it keeps every body and
/// answers 500 to the first <see cref="FailFirst"/> requests (all of them with int.MaxValue).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    public ConcurrentQueue<string> Bodies { get; } = new();

    public int FailFirst { get; set; }

    public int Requests => _requests;

    private WebhookReceiver(WebApplication app) => _app = app;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hooks/{**secret}", async (HttpContext http) =>
        {
            var body = await new StreamReader(http.Request.Body).ReadToEndAsync();
            receiver.Bodies.Enqueue(body);
            return Interlocked.Increment(ref receiver._requests) <= receiver.FailFirst ? Results.StatusCode(500) : Results.Text("ok");
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>The URL of a webhook whose path is its secret.</summary>
    public string Url(string secret) =>
        _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hooks/" + secret;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
