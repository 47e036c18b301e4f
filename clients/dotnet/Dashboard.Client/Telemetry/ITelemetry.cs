namespace Dashboard.Client;

/// <summary>What has happened to the messages given to <see cref="ITelemetry"/> so far.</summary>
/// <param name="Queued">Accepted into the queue.</param>
/// <param name="Sent">Acknowledged by the server (its answer may still have rejected some items into the quarantine).</param>
/// <param name="Dropped">Refused because the queue was full or the host was stopping.</param>
/// <param name="Failed">Given up after the last attempt, or refused by the server as a bad request.</param>
public readonly record struct TelemetryCounts(long Queued, long Sent, long Dropped, long Failed);

/// <summary>
/// Sends analytics messages to the dashboard in the background. Every call only enqueues and returns
/// at once: false when the message was dropped (the queue is full, or the host is stopping).
/// </summary>
public interface ITelemetry
{
    bool Track(ITelemetryEvent e, string userId);

    bool Identify(string userId, IReadOnlyDictionary<string, object?> traits);

    bool Page(string userId, string name, IReadOnlyDictionary<string, object?>? properties = null);

    bool Group(string userId, string groupId, IReadOnlyDictionary<string, object?>? traits = null);

    /// <summary>Merges <paramref name="previousId"/> (an anonymous id) into <paramref name="userId"/>.</summary>
    bool Alias(string userId, string previousId);

    TelemetryCounts Counts { get; }
}
