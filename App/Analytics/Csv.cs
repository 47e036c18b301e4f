using System.Globalization;
using System.Text;

namespace Dashboard.Analytics;

/// <summary>
/// RFC 4180 CSV: comma-separated, CRLF line ends, fields quoted when they hold a comma, quote or
/// line break. Text cells come from ingested data (feature names, breakdown values), so a text cell
/// that a spreadsheet would read as a formula (starting with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>,
/// tab or carriage return) is prefixed with a single quote and quoted, as OWASP advises for CSV
/// injection. Numbers, dates and booleans are written as they are, so a negative lift stays a number.
/// </summary>
public sealed class Csv
{
    private readonly StringBuilder _text = new();

    public Csv Row(params object?[] fields)
    {
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0) _text.Append(',');
            _text.Append(Field(fields[i]));
        }
        _text.Append("\r\n");
        return this;
    }

    public IResult ToResult() => Results.Text(_text.ToString(), "text/csv; charset=utf-8");

    public override string ToString() => _text.ToString();

    private static string Field(object? value)
    {
        var text = value switch
        {
            null => "",
            double d => d.ToString("0.##########", CultureInfo.InvariantCulture),
            bool b => b ? "true" : "false",
            DateOnly day => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => Neutralised(value.ToString() ?? ""),
        };
        return text.IndexOfAny([',', '"', '\r', '\n', '\t']) >= 0 || text.StartsWith('\'') ? $"\"{text.Replace("\"", "\"\"")}\"" : text;
    }

    private static string Neutralised(string text) =>
        text.Length > 0 && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + text : text;
}
