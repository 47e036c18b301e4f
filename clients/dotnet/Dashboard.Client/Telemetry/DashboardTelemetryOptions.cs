namespace Dashboard.Client;

/// <summary>Where and how <see cref="ITelemetry"/> sends events.</summary>
public sealed class DashboardTelemetryOptions
{
    /// <summary>The dashboard's base address, e.g. <c>https://dashboard.example.com</c>; batches go to <c>/v1/batch</c> under it.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>A write key (sent as <c>Authorization: Bearer</c>).</summary>
    public string WriteKey { get; set; } = "";

    /// <summary>A batch is sent when it holds this many messages...</summary>
    public int BatchSize { get; set; } = 10;

    /// <summary>...or when its first message has waited this long.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Messages waiting to be sent; when the queue is full a new message is refused and counted as dropped.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>Attempts per batch (the first one included) before its messages are given up and counted as failed.</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>The first retry waits about this long; each later one twice as long, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Timeout of one request.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
