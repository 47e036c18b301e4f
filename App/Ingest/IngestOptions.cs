namespace Dashboard.Ingest;

/// <summary>Configuration section <c>Ingest</c>.</summary>
public sealed class IngestOptions
{
    public int MaxAgeDays { get; set; } = 365;
    public int MaxFutureMinutes { get; set; } = 60;
    public int MaxEventBytes { get; set; } = 32 * 1024;
    public int MaxBodyBytes { get; set; } = 500 * 1024;
    /// <summary>Events waiting for the writer before new requests get 503.</summary>
    public int QueueCapacity { get; set; } = 50_000;
    /// <summary>Estimated memory of what waits for the writer before new requests get 503.</summary>
    public long QueueCapacityBytes { get; set; } = 64L * 1024 * 1024;
    /// <summary>The share of the queue (items and bytes) flag exposures may take; they are refused first.</summary>
    public double ExposureQueueShare { get; set; } = 0.1;
    /// <summary>Most items in one request; more is refused whole with 413.</summary>
    public int MaxBatchItems { get; set; } = 10_000;
    /// <summary>How long a write waits for a lock held by another writer of the file.</summary>
    public int BusyTimeoutMs { get; set; } = 5_000;
    /// <summary>How many times a batch is written again when the store is busy, locked, full or failing, before its requests get 503.</summary>
    public int StoreRetries { get; set; } = 3;
    /// <summary>Most events committed in one transaction.</summary>
    public int MaxBatchEvents { get; set; } = 5_000;
    /// <summary>How long the writer waits for more events before it commits a batch that is not full.</summary>
    public int FlushIntervalMs { get; set; }
    /// <summary>SQLite synchronous mode of the writer: Full (fsync every commit) or Normal.</summary>
    public string Synchronous { get; set; } = "Full";
}
