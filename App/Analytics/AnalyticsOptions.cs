namespace Dashboard.Analytics;

/// <summary>Settings of the <c>Analytics</c> section.</summary>
public sealed class AnalyticsOptions
{
    /// <summary>A feature whose adoption is under this fraction is flagged unused.</summary>
    public double UnusedAdoption { get; set; } = 0.05;

    /// <summary>Insight queries one caller (an API key or a person) may run at once.</summary>
    public int MaxConcurrentQueriesPerCaller { get; set; } = 2;

    /// <summary>How long a query over that number waits for a slot before it is refused with 429.</summary>
    public double QueryQueueSeconds { get; set; } = 5;

    /// <summary>A query running longer is stopped and answered 503.</summary>
    public double QueryTimeoutSeconds { get; set; } = 30;
}
