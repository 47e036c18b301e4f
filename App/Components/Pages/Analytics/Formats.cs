using System.Globalization;

namespace Dashboard.Components.Pages.Analytics;

/// <summary>How the analytics pages write numbers: invariant culture, a dash for "cannot compute".</summary>
public static class Formats
{
    public const string Unknown = "–";

    public static string Count(double? value) => value is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : Unknown;

    /// <summary>A measured value: whole numbers with thousands separators, others to two decimals.</summary>
    public static string Number(double? value) => value is { } v ? v.ToString("#,0.##", CultureInfo.InvariantCulture) : Unknown;

    public static string Percent(double? fraction) => fraction is { } f ? (f * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%" : Unknown;

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
