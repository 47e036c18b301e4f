using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Dashboard.Client.Tests.TestSupport;
using Dashboard.Telemetry;
using Dashboard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Dashboard.Client.Tests.Telemetry;

public sealed class TelemetrySenderTests(ServerFixture server) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private RecordingProxy _proxy = null!;

    public async Task InitializeAsync() => _proxy = await RecordingProxy.StartAsync(server.Address);

    public async Task DisposeAsync() => await _proxy.DisposeAsync();

    [Fact]
    public async Task Track_TenEvents_AreSentInOneRequest()
    {
        var user = NewUser();
        using var host = TelemetryHost.Build(_proxy.Address, o => o.FlushInterval = TimeSpan.FromMinutes(5));
        await host.StartAsync();
        var telemetry = host.Services.GetRequiredService<ITelemetry>();

        for (var i = 0; i < 10; i++) Assert.True(telemetry.Track(Feature(i), user));

        var stored = await Eventually.ReadAsync(() => server.StoredEventsAsync(user), e => e.Count == 10);
        Assert.Equal(10, stored.Count);
        var request = Assert.Single(_proxy.Requests);
        Assert.Equal("/v1/batch", request.Path);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal(10, body.RootElement.GetProperty("batch").GetArrayLength());
        Assert.True(body.RootElement.TryGetProperty("sentAt", out _));
        Assert.All(body.RootElement.GetProperty("batch").EnumerateArray(), m => Assert.False(string.IsNullOrEmpty(m.GetProperty("messageId").GetString())));
        await host.StopAsync();
    }

    [Fact]
    public async Task Track_FewerThanABatch_AreSentAfterTheInterval()
    {
        var user = NewUser();
        using var host = TelemetryHost.Build(_proxy.Address, o => o.FlushInterval = TimeSpan.FromMilliseconds(800));
        await host.StartAsync();
        var telemetry = host.Services.GetRequiredService<ITelemetry>();
        var started = DateTimeOffset.UtcNow;

        for (var i = 0; i < 3; i++) telemetry.Track(Feature(i), user);

        var stored = await Eventually.ReadAsync(() => server.StoredEventsAsync(user), e => e.Count == 3);
        Assert.Equal(3, stored.Count);
        var request = Assert.Single(_proxy.Requests);
        Assert.True(request.At - started >= TimeSpan.FromMilliseconds(700), $"sent after {(request.At - started).TotalMilliseconds} ms");
        await host.StopAsync();
    }

    [Fact]
    public async Task StopAsync_QueuedMessages_AreAllStoredBeforeTheHostStops()
    {
        var user = NewUser();
        using var host = TelemetryHost.Build(_proxy.Address, o => o.FlushInterval = TimeSpan.FromMinutes(10));
        await host.StartAsync();
        var telemetry = host.Services.GetRequiredService<ITelemetry>();
        for (var i = 0; i < 25; i++) telemetry.Track(Feature(i), user);
        telemetry.Identify(user, new Dictionary<string, object?> { ["plan"] = "pro" });
        telemetry.Page(user, "Pricing", new Dictionary<string, object?> { ["path"] = "/pricing" });

        await host.StopAsync();

        var stored = await server.StoredEventsAsync(user);
        Assert.Equal(26, stored.Count); // identify is not an event
        Assert.Equal(26, stored.Select(s => s).Distinct().Count());
        Assert.Contains(stored, s => s.StartsWith("PAGE ", StringComparison.Ordinal) && s.Contains("/pricing"));
        Assert.Equal(new TelemetryCounts(27, 27, 0, 0), telemetry.Counts);
        Assert.False(telemetry.Track(Feature(99), user)); // a stopped host takes nothing more
        Assert.Equal(1, telemetry.Counts.Dropped);
    }

    [Fact]
    public async Task StopAsync_RightAfterStart_SendsWhatWasQueuedBeforeStart()
    {
        var user = NewUser();
        using var host = TelemetryHost.Build(_proxy.Address, o => o.FlushInterval = TimeSpan.FromMinutes(10));
        var telemetry = host.Services.GetRequiredService<ITelemetry>();
        for (var i = 0; i < 3; i++) telemetry.Track(Feature(i), user);

        await host.StartAsync();
        await host.StopAsync();

        Assert.Equal(3, (await server.StoredEventsAsync(user)).Count);
    }

    [Fact]
    public async Task StopAsync_ServerFailingPastTheShutdownTimeout_CountsWhatIsLeftAsFailed()
    {
        var user = NewUser();
        var logs = new ConcurrentQueue<string>();
        for (var i = 0; i < 100; i++) _proxy.Script.Enqueue(new(HttpStatusCode.ServiceUnavailable));
        using var host = TelemetryHost.Build(_proxy.Address, o =>
        {
            o.BatchSize = 2;
            o.FlushInterval = TimeSpan.FromMinutes(10);
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(100);
        }, logs, shutdownTimeout: TimeSpan.FromSeconds(1));
        await host.StartAsync();
        var telemetry = host.Services.GetRequiredService<ITelemetry>();
        for (var i = 0; i < 5; i++) telemetry.Track(Feature(i), user);

        var stopping = System.Diagnostics.Stopwatch.StartNew();
        await host.StopAsync();

        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(5), $"stopped after {stopping.Elapsed}");
        var counts = await Eventually.ReadAsync(() => Task.FromResult(telemetry.Counts), c => c.Failed == 5);
        Assert.Equal(new TelemetryCounts(5, 0, 0, 5), counts);
        Assert.Contains(logs, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("shutdown timeout"));
    }

    [Fact]
    public async Task Send_429WithRetryAfter_WaitsThatLongAndSendsTheSameMessagesAgain()
    {
        var user = NewUser();
        _proxy.Script.Enqueue(new(HttpStatusCode.TooManyRequests, RetryAfter: TimeSpan.FromSeconds(1)));
        using var host = TelemetryHost.Build(_proxy.Address, o => { o.BatchSize = 2; o.RetryBaseDelay = TimeSpan.FromMilliseconds(10); });
        await host.StartAsync();
        var telemetry = host.Services.GetRequiredService<ITelemetry>();

        telemetry.Track(Feature(1), user);
        telemetry.Track(Feature(2), user);

        var stored = await Eventually.ReadAsync(() => server.StoredEventsAsync(user), e => e.Count == 2);
        Assert.Equal(2, stored.Count);
        var requests = _proxy.Requests.ToArray();
        Assert.Equal([429, 200], requests.Select(r => r.Status));
        Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromMilliseconds(950), $"retried after {(requests[1].At - requests[0].At).TotalMilliseconds} ms");
        Assert.Equal(MessageIds(requests[0].Body), MessageIds(requests[1].Body));
        await host.StopAsync();
    }

    [Fact]
    public async Task Send_OverTheServersRateLimit_WaitsItsRetryAfterAndLosesNothing()
    {
        await using var limited = new DashboardFactory(new Dictionary<string, string?> { ["RateLimits:IngestPerSecond"] = "1", ["RateLimits:IngestBurst"] = "1" }, kestrel: true);
        await using var proxy = await RecordingProxy.StartAsync(limited.ServerAddress);
        var user = NewUser();
        using var host = TelemetryHost.Build(proxy.Address, o => { o.BatchSize = 1; o.RetryBaseDelay = TimeSpan.FromMilliseconds(10); });
        await host.StartAsync();
        var telemetry = host.Services.GetRequiredService<ITelemetry>();

        for (var i = 0; i < 3; i++) telemetry.Track(Feature(i), user);

        var sent = await Eventually.ReadAsync(() => Task.FromResult(telemetry.Counts), c => c.Sent == 3);
        Assert.True(sent.Sent == 3, $"{sent}: " + string.Join(", ", proxy.Requests.Select(r => $"{r.At:ss.fff} {r.Status}")));
        await using var db = limited.CreateDbContext();
        Assert.Equal(3, db.Events.Count(e => db.TrackedUsers.Any(u => u.Id == e.UserId && u.Key == user)));
        var requests = proxy.Requests.ToArray();
        Assert.Contains(requests, r => r.Status == 429);
        // Every retry came at least the server's Retry-After (1 s) after the 429 it answered.
        for (var i = 1; i < requests.Length; i++)
            if (requests[i - 1].Status == 429) Assert.True(requests[i].At - requests[i - 1].At >= TimeSpan.FromMilliseconds(950));
        await host.StopAsync();
    }

    [Fact]
    public async Task Send_503WithoutRetryAfter_IsRetriedWithBackoff()
    {
        var user = NewUser();
        _proxy.Script.Enqueue(new(HttpStatusCode.ServiceUnavailable));
        _proxy.Script.Enqueue(new(HttpStatusCode.ServiceUnavailable));
        using var host = TelemetryHost.Build(_proxy.Address, o => { o.BatchSize = 1; o.RetryBaseDelay = TimeSpan.FromMilliseconds(50); });
        await host.StartAsync();

        host.Services.GetRequiredService<ITelemetry>().Track(Feature(1), user);

        var stored = await Eventually.ReadAsync(() => server.StoredEventsAsync(user), e => e.Count == 1);
        Assert.Single(stored);
        Assert.Equal([503, 503, 200], _proxy.Requests.Select(r => r.Status));
        await host.StopAsync();
    }

    [Fact]
    public async Task Send_400_IsLoggedAndNotRetried()
    {
        var user = NewUser();
        var logs = new ConcurrentQueue<string>();
        _proxy.Script.Enqueue(new(HttpStatusCode.BadRequest, Body: "{\"error\":\"the body holds no event\"}"));
        using var host = TelemetryHost.Build(_proxy.Address, o => { o.BatchSize = 1; o.RetryBaseDelay = TimeSpan.FromMilliseconds(10); }, logs);
        await host.StartAsync();
        var telemetry = host.Services.GetRequiredService<ITelemetry>();

        telemetry.Track(Feature(1), user);

        await Eventually.UntilAsync(() => Task.FromResult(telemetry.Counts.Failed == 1));
        await Task.Delay(300); // time for a retry that must not come
        Assert.Single(_proxy.Requests);
        Assert.Contains(logs, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("400") && l.Contains("the body holds no event"));
        Assert.Empty(await server.StoredEventsAsync(user));
        await host.StopAsync();
    }

    [Fact]
    public void Track_QueueFull_RefusesTheNewMessageAndCountsIt()
    {
        // The host is not started, so nothing leaves the queue.
        using var host = TelemetryHost.Build(_proxy.Address, o => o.QueueCapacity = 2);
        var telemetry = host.Services.GetRequiredService<ITelemetry>();

        Assert.True(telemetry.Track(Feature(1), "full-queue"));
        Assert.True(telemetry.Alias("full-queue", "anon-1"));
        Assert.False(telemetry.Group("full-queue", "acme"));

        Assert.Equal(new TelemetryCounts(2, 0, 1, 0), telemetry.Counts);
    }

    [Fact]
    public async Task StartAsync_WithoutAWriteKey_FailsAtStart()
    {
        using var host = TelemetryHost.Build(_proxy.Address, o => o.WriteKey = "");

        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("a key is required", error.Message);
    }

    [Fact]
    public void Backoff_DoublesUpToTheCeilingWithJitter()
    {
        var o = new DashboardTelemetryOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(100), MaxRetryDelay = TimeSpan.FromMilliseconds(1000) };

        for (var i = 0; i < 50; i++)
        {
            Assert.InRange(TelemetrySender.Backoff(1, o).TotalMilliseconds, 50, 100);
            Assert.InRange(TelemetrySender.Backoff(3, o).TotalMilliseconds, 200, 400);
            Assert.InRange(TelemetrySender.Backoff(10, o).TotalMilliseconds, 500, 1000);
        }
    }

    private static string NewUser() => $"client-{Guid.NewGuid():N}";

    private static FeatureEngagedEvent Feature(int i) => new() { FeatureName = "search", ClickTarget = $"button-{i}" };

    private static string[] MessageIds(string body)
    {
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("batch").EnumerateArray().Select(m => m.GetProperty("messageId").GetString()!).ToArray();
    }
}
