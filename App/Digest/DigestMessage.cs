using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dashboard.Analytics.WeeklyReview;
using Dashboard.Components.Pages.Analytics;

namespace Dashboard.Digest;

/// <summary>
/// The weekly digest of one <see cref="WeeklyReviewResult"/>: an email (subject, plain text, HTML)
/// and a Slack-compatible webhook payload (<c>{ "text", "blocks" }</c>). Every channel writes the
/// same lines: the tiles of <see cref="ReviewFigures"/> with the page's numbers and arrows
/// (<see cref="Formats"/>), the top features, and the link to the page.
/// </summary>
public sealed record DigestMessage(string Subject, string Text, string Html, string WebhookText, string WebhookJson)
{
    public static DigestMessage Build(WeeklyReviewResult r, string? pageUrl)
    {
        var subject = $"Weekly review: week of {Formats.Day(r.From)}";
        var period = $"{Formats.Range(r.From, r.To)} compared with {Formats.Range(r.PreviousFrom, r.PreviousTo)} (UTC days)";
        IReadOnlyList<ReviewFigure> figures = r.IsEmpty ? [] : ReviewFigures.Of(r);
        var empty = r.IsEmpty ? $"No events in {Formats.Range(r.PreviousFrom, r.To)}." : null;
        var features = r.TopFeatures.Select(f => $"{f.FeatureName}: {Formats.Count(f.Users)} users ({Formats.Percent(f.Adoption)})").ToList();
        var topFeatures = features.Count == 0 ? "none reached the adoption threshold" : string.Join(", ", features);

        var text = new StringBuilder().AppendLine(subject).AppendLine(period).AppendLine();
        if (empty is not null) text.AppendLine(empty);
        foreach (var f in figures)
        {
            text.AppendLine($"{f.Title}: {f.Value}  {f.Comparison}");
            if (f.Detail is not null) text.AppendLine($"  {f.Detail}");
        }
        if (empty is null) text.AppendLine().AppendLine($"Top features: {topFeatures}");
        if (pageUrl is not null) text.AppendLine().AppendLine($"Open the weekly review: {pageUrl}");

        static string E(string s) => WebUtility.HtmlEncode(s);
        var html = new StringBuilder()
            .Append("<!DOCTYPE html><html><body style=\"font-family:sans-serif;color:#222\">")
            .Append($"<h1 style=\"font-size:20px\">{E(subject)}</h1><p style=\"color:#666\">{E(period)}</p>");
        if (empty is not null) html.Append($"<p>{E(empty)}</p>");
        else
        {
            html.Append("<table cellpadding=\"6\" style=\"border-collapse:collapse\">");
            foreach (var f in figures)
            {
                var color = f.Good switch { true => "#2e7d32", false => "#c62828", null => "#666" };
                html.Append($"<tr data-figure=\"{E(f.Title)}\"><th align=\"left\">{E(f.Title)}</th><td style=\"font-size:18px\"><b>{E(f.Value)}</b></td>")
                    .Append($"<td style=\"color:{color}\">{E(f.Comparison)}</td>")
                    .Append($"<td style=\"color:#666\">{E(f.Detail ?? "")}</td></tr>");
            }
            html.Append("</table>").Append($"<p><b>Top features:</b> {E(topFeatures)}</p>");
        }
        if (pageUrl is not null) html.Append($"<p><a href=\"{E(pageUrl)}\">Open the weekly review</a></p>");
        html.Append("</body></html>");

        // Slack's mrkdwn: &, < and > are escaped; a link is <url|label>.
        static string M(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
        List<string> lines = empty is not null
            ? [M(empty)]
            : figures.Select(f => $"• *{M(f.Title)}*: {M(f.Value)}  {M(f.Comparison)}" + (f.Detail is null ? "" : $" _({M(f.Detail)})_"))
                .Append($"• *Top features*: {M(topFeatures)}").ToList();
        var link = pageUrl is null ? null : $"<{pageUrl}|Open the weekly review>";
        var webhookText = string.Join("\n", new[] { $"*{M(subject)}*", M(period) }.Concat(lines).Concat(link is null ? Array.Empty<string>() : [link]));
        var blocks = new JsonArray
        {
            new JsonObject { ["type"] = "header", ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = subject } },
            new JsonObject { ["type"] = "context", ["elements"] = new JsonArray { new JsonObject { ["type"] = "mrkdwn", ["text"] = M(period) } } },
            new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = string.Join("\n", lines) } },
        };
        if (link is not null)
            blocks.Add(new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = link } });
        var json = new JsonObject { ["text"] = webhookText, ["blocks"] = blocks }.ToJsonString(new JsonSerializerOptions
        {
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });
        return new DigestMessage(subject, text.ToString(), html.ToString(), webhookText, json);
    }
}
