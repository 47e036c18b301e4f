namespace Dashboard.Components.Charts;

public enum ChartKind { Line, Area, Bar, HorizontalBar, Sparkline }

public enum ChartFormat { Number, Percent, Seconds }

/// <summary>One named series of values; a null value is a gap. A dashed series is drawn dashed (lines) or lighter (bars), e.g. the previous period.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<double?> Data, bool Dashed = false);
