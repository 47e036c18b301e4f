namespace Dashboard.Components.Charts;

public enum ChartKind { Line, Area, Bar, HorizontalBar, Sparkline }

public enum ChartFormat { Number, Percent, Seconds }

/// <summary>One named series of values; a null value is a gap.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<double?> Data);
