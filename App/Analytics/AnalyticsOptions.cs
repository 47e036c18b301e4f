namespace Dashboard.Analytics;

/// <summary>Settings of the <c>Analytics</c> section.</summary>
public sealed class AnalyticsOptions
{
    /// <summary>A feature whose adoption is under this fraction is flagged unused.</summary>
    public double UnusedAdoption { get; set; } = 0.05;
}
