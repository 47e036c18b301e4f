using System.Net;
using System.Text.RegularExpressions;

namespace Dashboard.Tests.TestSupport;

/// <summary>Reads the hidden fields (antiforgery token, form handler) of a server-rendered form.</summary>
public static partial class LoginForm
{
    [GeneratedRegex("<input\\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex Input();

    [GeneratedRegex("\\b(type|name|value)=\"([^\"]*)\"", RegexOptions.IgnoreCase)]
    private static partial Regex Attribute();

    public static Dictionary<string, string> HiddenFields(string html)
    {
        var fields = new Dictionary<string, string>();
        foreach (Match input in Input().Matches(html))
        {
            var attributes = Attribute().Matches(input.Value).ToDictionary(m => m.Groups[1].Value.ToLowerInvariant(), m => WebUtility.HtmlDecode(m.Groups[2].Value));
            if (attributes.GetValueOrDefault("type") == "hidden" && attributes.TryGetValue("name", out var name))
                fields[name] = attributes.GetValueOrDefault("value", "");
        }
        return fields;
    }
}
