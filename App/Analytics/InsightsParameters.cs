using System.Globalization;
using System.Text.RegularExpressions;
using Dashboard.Analytics.Activity;

namespace Dashboard.Analytics;

public sealed record InsightsError(string Error);

/// <summary>A query-string value the read API cannot use; answered with 400 and the message.</summary>
public sealed class InsightsParameterException(string message) : Exception(message);

public enum InsightsFormat { Json, Csv }

/// <summary>Parsing and limits of the read API's query strings.</summary>
public static partial class InsightsParameters
{
    public const int MaxRangeDays = 400;

    public static (DateOnly From, DateOnly To) Range(string? from, string? to)
    {
        var f = Date("from", from);
        var t = Date("to", to);
        if (f > t) throw new InsightsParameterException($"'from' ({from}) is after 'to' ({to})");
        var days = t.DayNumber - f.DayNumber + 1;
        if (days > MaxRangeDays)
            throw new InsightsParameterException($"the range covers {days} days; at most {MaxRangeDays} are allowed");
        return (f, t);
    }

    private static DateOnly Date(string name, string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) throw new InsightsParameterException($"'{name}' is required (YYYY-MM-DD)");
        if (!DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            throw new InsightsParameterException($"'{name}' must be a date as YYYY-MM-DD, got '{value}'");
        return date;
    }

    public static ActivityInterval Interval(string? value) => value switch
    {
        null or "" or "day" => ActivityInterval.Day,
        "week" => ActivityInterval.Week,
        _ => throw new InsightsParameterException($"'interval' must be day or week, got '{value}'"),
    };

    public static InsightsFormat Format(string? value) => value switch
    {
        null or "" or "json" => InsightsFormat.Json,
        "csv" => InsightsFormat.Csv,
        _ => throw new InsightsParameterException($"'format' must be json or csv, got '{value}'"),
    };

    /// <summary>A duration as a positive whole number of days (<c>7d</c>) or hours (<c>36h</c>), at most 400 days.</summary>
    public static TimeSpan Duration(string name, string? value, TimeSpan fallback)
    {
        if (string.IsNullOrEmpty(value)) return fallback;
        var m = DurationPattern().Match(value);
        if (!m.Success || !int.TryParse(m.Groups[1].Value, CultureInfo.InvariantCulture, out var n) || n == 0)
            throw new InsightsParameterException($"'{name}' must be a positive number of days or hours such as 7d or 36h, got '{value}'");
        var span = m.Groups[2].Value == "d" ? TimeSpan.FromDays(n) : TimeSpan.FromHours(n);
        if (span > TimeSpan.FromDays(MaxRangeDays))
            throw new InsightsParameterException($"'{name}' may be at most {MaxRangeDays} days, got '{value}'");
        return span;
    }

    public static string EventName(string? value, string fallback) =>
        string.IsNullOrWhiteSpace(value) ? fallback : value.Trim();

    [GeneratedRegex(@"^([0-9]{1,6})([dh])$")]
    private static partial Regex DurationPattern();
}
