using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dashboard.Client;

/// <summary>
/// Takes messages off the queue in batches (<see cref="DashboardTelemetryOptions.BatchSize"/>
/// messages, or what came within <see cref="DashboardTelemetryOptions.FlushInterval"/> of the
/// batch's first message) and posts <c>{ batch, sentAt }</c> to <c>/v1/batch</c>. A 429, a 5xx or a
/// network error is retried with exponential backoff and jitter, waiting the server's
/// <c>Retry-After</c> when it sends one; any other 4xx is logged and not retried. When the host
/// stops, the queue closes and everything in it is sent before the sender ends (within the host's
/// shutdown timeout, which is when it gives up).
/// </summary>
internal sealed class TelemetrySender(
    TelemetryQueue queue,
    IHttpClientFactory httpClients,
    IOptions<DashboardTelemetryOptions> options,
    TimeProvider clock,
    ILogger<TelemetrySender> logger) : IHostedService, IDisposable
{
    public const string HttpClientName = "Dashboard.Telemetry";
    private readonly CancellationTokenSource _stopping = new(), _abandon = new();
    private Task? _run;

    // Not a BackgroundService: its loop can be cancelled before it ever runs when the host stops
    // right after starting, and then what was queued would never be sent.
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _run = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Complete();
        _stopping.Cancel();
        if (_run is null) return;
        // At the host's shutdown timeout the loop gives up what is left, counts it and ends.
        await using var abandon = cancellationToken.Register(_abandon.Cancel);
        await _run.ConfigureAwait(false);
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _abandon.Dispose();
    }

    private async Task RunAsync()
    {
        try
        {
            await SendQueuedAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Telemetry sender stopped unexpectedly; {Count} messages were not sent", queue.Reader.Count);
        }
    }

    private async Task SendQueuedAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var reader = queue.Reader;
        var batch = new List<string>(o.BatchSize);
        // Ends once the queue is closed (host stopping) and empty, or when the shutdown timeout passes.
        while (await WaitForMessagesAsync(reader).ConfigureAwait(false))
        {
            using (var window = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                window.CancelAfter(o.FlushInterval);
                while (batch.Count < o.BatchSize)
                {
                    if (reader.TryRead(out var message)) { batch.Add(message); continue; }
                    try
                    {
                        if (!await reader.WaitToReadAsync(window.Token).ConfigureAwait(false)) break;
                    }
                    catch (OperationCanceledException)
                    {
                        break; // the interval is over, or the host is stopping: send what there is
                    }
                }
            }
            await SendAsync(batch).ConfigureAwait(false);
            batch.Clear();
        }
    }

    private async Task<bool> WaitForMessagesAsync(ChannelReader<string> reader)
    {
        try
        {
            return await reader.WaitToReadAsync(_abandon.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            var left = 0;
            while (reader.TryRead(out _)) left++;
            if (left > 0) Abandon(left);
            return false;
        }
    }

    private async Task SendAsync(List<string> batch)
    {
        var o = options.Value;
        var http = httpClients.CreateClient(HttpClientName);
        for (var attempt = 1; ; attempt++)
        {
            TimeSpan? retryAfter = null;
            string failure;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "v1/batch") { Content = Body(batch) };
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_abandon.Token);
                timeout.CancelAfter(o.RequestTimeout);
                using var response = await http.SendAsync(request, timeout.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    queue.CountSent(batch.Count);
                    await LogRejectedAsync(response, timeout.Token).ConfigureAwait(false);
                    return;
                }
                var status = (int)response.StatusCode;
                var detail = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                if (!Retryable(response.StatusCode))
                {
                    queue.CountFailed(batch.Count);
                    logger.LogError("Telemetry batch of {Count} refused with {Status}, not retried: {Detail}", batch.Count, status, Truncate(detail));
                    return;
                }
                if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
                    retryAfter = RetryAfter(response);
                failure = $"{status} {Truncate(detail)}";
            }
            catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
            {
                Abandon(batch.Count);
                return;
            }
            catch (Exception ex)
            {
                // A network error, a timeout, or anything else: an attempt that failed, never a sender that stops.
                failure = ex.Message;
            }

            if (attempt >= o.MaxAttempts)
            {
                queue.CountFailed(batch.Count);
                logger.LogError("Telemetry batch of {Count} given up after {Attempts} attempts: {Failure}", batch.Count, attempt, failure);
                return;
            }
            var delay = retryAfter ?? Backoff(attempt, o);
            logger.LogWarning("Telemetry batch of {Count} failed ({Failure}); attempt {Next} in {Delay} ms", batch.Count, failure, attempt + 1, (long)delay.TotalMilliseconds);
            try
            {
                await Task.Delay(delay, clock, _abandon.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Abandon(batch.Count);
                return;
            }
        }
    }

    private void Abandon(int count)
    {
        queue.CountFailed(count);
        logger.LogError("Telemetry: {Count} messages lost, the host's shutdown timeout passed before they were sent", count);
    }

    private StringContent Body(List<string> batch)
    {
        var sb = new StringBuilder(batch.Sum(m => m.Length + 1) + 64).Append("{\"batch\":[");
        for (var i = 0; i < batch.Count; i++) sb.Append(i == 0 ? "" : ",").Append(batch[i]);
        // sentAt is the time of this attempt, so the server's clock-skew correction stays right on a retry.
        sb.Append("],\"sentAt\":").Append(JsonSerializer.Serialize(clock.GetUtcNow().ToString("O"))).Append('}');
        return new StringContent(sb.ToString(), Encoding.UTF8, "application/json");
    }

    private static bool Retryable(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)status >= 500;

    /// <summary>Exponential backoff with "equal jitter": half the doubled delay fixed, half random.</summary>
    internal static TimeSpan Backoff(int attempt, DashboardTelemetryOptions o)
    {
        var ceiling = Math.Min(o.MaxRetryDelay.TotalMilliseconds, o.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - clock.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        return null;
    }

    private async Task LogRejectedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            using var doc = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), cancellationToken: ct).ConfigureAwait(false);
            if (doc.RootElement.TryGetProperty("rejected", out var rejected) && rejected.ValueKind == JsonValueKind.Array && rejected.GetArrayLength() > 0)
                logger.LogWarning("Telemetry: the server quarantined {Count} messages, first: {First}", rejected.GetArrayLength(), rejected[0].GetRawText());
        }
        catch (JsonException)
        {
            // An answer without the usual body is still an acknowledgement.
        }
    }

    private static string Truncate(string s) => s.Length <= 500 ? s : s[..500] + "…";
}
