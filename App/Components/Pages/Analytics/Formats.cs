using System.Globalization;
using Dashboard.Analytics.WeeklyReview;

namespace Dashboard.Components.Pages.Analytics;

/// <summary>How the analytics pages write numbers: invariant culture, a dash for "cannot compute".</summary>
public static class Formats
{
    public const string Unknown = "–";

    public static string Count(double? value) => value is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : Unknown;

    /// <summary>A measured value: whole numbers with thousands separators, others to two decimals.</summary>
    public static string Number(double? value) => value is { } v ? v.ToString("#,0.##", CultureInfo.InvariantCulture) : Unknown;

    public static string Percent(double? fraction) => fraction is { } f ? (f * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%" : Unknown;

    /// <summary>A rate as a percentage, anything else as a count.</summary>
    public static string Value(double? value, bool isRate) => isRate ? Percent(value) : Count(value);

    /// <summary>Which way a figure went: 1 up, −1 down, 0 no change, null when it cannot be compared (the review's arrows).</summary>
    public static int? Direction(Change change) => change.Delta is not { } d ? null : Math.Abs(d) < 1e-9 ? 0 : Math.Sign(d);

    /// <summary>The arrow of a direction, for text: ↑, ↓, or nothing.</summary>
    public static string Arrow(int? direction) => direction switch { > 0 => "↑", < 0 => "↓", _ => "" };

    /// <summary>
    /// The change from the previous period without its arrow: +3 (+12.5%) for counts, +4.2 pts for
    /// rates (percentage points), "no change", or the dash when there is nothing to compare.
    /// </summary>
    public static string DeltaText(Change change, bool isRate)
    {
        if (Direction(change) is not { } direction) return Unknown;
        if (direction == 0) return "no change";
        var delta = change.Delta!.Value;
        var sign = delta > 0 ? "+" : "−";
        if (isRate) return $"{sign}{Math.Abs(delta * 100).ToString("0.#", CultureInfo.InvariantCulture)} pts";
        var text = $"{sign}{Count(Math.Abs(delta))}";
        return change.Relative is { } r ? $"{text} ({sign}{Percent(Math.Abs(r))})" : text;
    }

    /// <summary>The whole comparison as one line of text: ↑ +3 (+12.5%) vs 24.</summary>
    public static string Comparison(Change change, bool isRate)
    {
        var arrow = Arrow(Direction(change));
        return $"{(arrow.Length > 0 ? arrow + " " : "")}{DeltaText(change, isRate)} vs {Value(change.Previous, isRate)}";
    }

    public static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string ShortDay(DateOnly day) => day.ToString("MMM d", CultureInfo.InvariantCulture);

    public static string Range(DateOnly from, DateOnly to) =>
        from.Year == to.Year ? $"{ShortDay(from)} – {ShortDay(to)}, {to.Year}" : $"{ShortDay(from)}, {from.Year} – {ShortDay(to)}, {to.Year}";

    /// <summary>Seconds as the largest sensible unit: 45s, 12m, 3.5h, 2.1d.</summary>
    public static string Duration(double? seconds) => seconds switch
    {
        null => Unknown,
        < 60 => $"{seconds.Value.ToString("0", CultureInfo.InvariantCulture)}s",
        < 3600 => $"{(seconds.Value / 60).ToString("0", CultureInfo.InvariantCulture)}m",
        < 86400 => $"{(seconds.Value / 3600).ToString("0.#", CultureInfo.InvariantCulture)}h",
        _ => $"{(seconds.Value / 86400).ToString("0.#", CultureInfo.InvariantCulture)}d",
    };
}
