using System.Text;

namespace Dashboard.Schema;

/// <summary>What the TypeScript and C# generators share.</summary>
internal static class GeneratedSource
{
    /// <summary>
    /// A string literal valid in both languages: backslash and the quote escaped, every control
    /// character and the two Unicode line separators as <c>\uXXXX</c>, so each string stays on its line.
    /// </summary>
    public static string Quote(string s, char quote)
    {
        var sb = new StringBuilder(s.Length + 2).Append(quote);
        foreach (var c in s)
        {
            if (c == '\\' || c == quote) sb.Append('\\').Append(c);
            else if (char.IsControl(c) || c is '\u2028' or '\u2029') sb.Append($"\\u{(int)c:x4}");
            else sb.Append(c);
        }
        return sb.Append(quote).ToString();
    }
}
