using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dashboard.Client;

/// <summary>
/// The bounded queue behind <see cref="ITelemetry"/>. Messages are serialized when they are made
/// (with their timestamp and messageId, so a retried batch is deduplicated by the server). When the
/// queue is full a new message is refused rather than an older one dropped: the caller learns it
/// from the return value, and what is already queued keeps its order.
/// </summary>
internal sealed class TelemetryQueue : ITelemetry
{
    private readonly Channel<string> _channel;
    private readonly TimeProvider _clock;
    private readonly ILogger<TelemetryQueue> _logger;
    private long _queued, _sent, _dropped, _failed;

    public TelemetryQueue(IOptions<DashboardTelemetryOptions> options, TimeProvider clock, ILogger<TelemetryQueue> logger)
    {
        _channel = Channel.CreateBounded<string>(new BoundedChannelOptions(Math.Max(1, options.Value.QueueCapacity))
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then answers false instead of waiting
            SingleReader = true,
        });
        _clock = clock;
        _logger = logger;
    }

    public ChannelReader<string> Reader => _channel.Reader;

    public TelemetryCounts Counts => new(Interlocked.Read(ref _queued), Interlocked.Read(ref _sent), Interlocked.Read(ref _dropped), Interlocked.Read(ref _failed));

    /// <summary>No message is taken after this; the sender drains what is queued.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    public void CountSent(int n) => Interlocked.Add(ref _sent, n);

    public void CountFailed(int n) => Interlocked.Add(ref _failed, n);

    public bool Track(ITelemetryEvent e, string userId)
    {
        var message = Message("track", userId);
        message["event"] = e.Event;
        message["properties"] = JsonSerializer.SerializeToNode(e.Properties);
        return Enqueue(message);
    }

    public bool Identify(string userId, IReadOnlyDictionary<string, object?> traits)
    {
        var message = Message("identify", userId);
        message["traits"] = JsonSerializer.SerializeToNode(traits);
        return Enqueue(message);
    }

    public bool Page(string userId, string name, IReadOnlyDictionary<string, object?>? properties = null)
    {
        var message = Message("page", userId);
        message["name"] = name;
        if (properties is not null) message["properties"] = JsonSerializer.SerializeToNode(properties);
        return Enqueue(message);
    }

    public bool Group(string userId, string groupId, IReadOnlyDictionary<string, object?>? traits = null)
    {
        var message = Message("group", userId);
        message["groupId"] = groupId;
        if (traits is not null) message["traits"] = JsonSerializer.SerializeToNode(traits);
        return Enqueue(message);
    }

    public bool Alias(string userId, string previousId)
    {
        var message = Message("alias", userId);
        message["previousId"] = previousId;
        return Enqueue(message);
    }

    private JsonObject Message(string type, string userId)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        return new JsonObject
        {
            ["type"] = type,
            ["userId"] = userId,
            ["timestamp"] = _clock.GetUtcNow().ToString("O"),
            ["messageId"] = Guid.NewGuid().ToString("N"),
        };
    }

    private bool Enqueue(JsonObject message)
    {
        if (_channel.Writer.TryWrite(message.ToJsonString()))
        {
            Interlocked.Increment(ref _queued);
            return true;
        }
        var dropped = Interlocked.Increment(ref _dropped);
        // The first drop and then every thousandth: a full queue must not flood the log as well.
        if (dropped % 1000 == 1)
            _logger.LogWarning("Telemetry queue full or stopped: message dropped ({Dropped} dropped so far)", dropped);
        return false;
    }
}
