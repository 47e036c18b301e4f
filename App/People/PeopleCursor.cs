using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Dashboard.People;

/// <summary>A parameter the people API cannot use; answered with 400 and its message.</summary>
public sealed class PeopleParameterException(string message) : Exception(message);

/// <summary>
/// A keyset position (a time in Unix milliseconds and a row id) as an opaque string: the two numbers
/// as "time.id" in base64url. A page answers the position of its last row; the next page starts
/// strictly after it in (time, id) descending order, so rows sharing a time are neither lost nor repeated.
/// </summary>
public readonly record struct PeopleCursor(long Time, long Id)
{
    public override string ToString() =>
        Base64Url.EncodeToString(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Time}.{Id}")));

    /// <summary>The cursor in <paramref name="text"/>, null for none; a string that is not one is a <see cref="PeopleParameterException"/>.</summary>
    public static PeopleCursor? Parse(string name, string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        try
        {
            var parts = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(text)).Split('.');
            if (parts.Length == 2
                && long.TryParse(parts[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var time)
                && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                return new PeopleCursor(time, id);
        }
        catch (FormatException)
        {
        }
        throw new PeopleParameterException($"'{name}' is not a cursor this API gave out");
    }

    /// <summary>The first <paramref name="limit"/> of rows read with one extra, and the cursor after the last when there was more.</summary>
    public static (List<T> Page, string? Next) Split<T>(List<T> rows, int limit, Func<T, PeopleCursor> position) =>
        (rows.Take(limit).ToList(), rows.Count > limit ? position(rows[limit - 1]).ToString() : null);

    public const int DefaultLimit = 50, MaxLimit = 200;

    /// <summary>The page size: <see cref="DefaultLimit"/> when absent, else 1..<see cref="MaxLimit"/>.</summary>
    public static int Limit(string? text)
    {
        if (string.IsNullOrEmpty(text)) return DefaultLimit;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxLimit) return n;
        throw new PeopleParameterException($"'limit' must be a whole number from 1 to {MaxLimit}, got '{(text.Length <= 20 ? text : text[..20] + "…")}'");
    }
}
