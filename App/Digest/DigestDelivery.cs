using System.Net;
using System.Net.Mail;
using System.Net.Mime;
using System.Text;
using Microsoft.Extensions.Options;

namespace Dashboard.Digest;

/// <summary>
/// Sends one digest to one target: email through the configured SMTP server (System.Net.Mail, with
/// STARTTLS when <c>Digest:Smtp:UseTls</c>), webhooks as a JSON POST. A failure is an exception whose
/// message names no secret (<see cref="Describe"/>).
/// </summary>
public sealed class DigestDelivery(IHttpClientFactory http, IOptions<DigestOptions> options)
{
    /// <summary>The named client for webhooks; its request logging is off, as the URL is the webhook's secret.</summary>
    public const string HttpClientName = "digest-webhooks";

    public Task SendAsync(DigestTarget target, DigestMessage message, CancellationToken ct) =>
        target.Kind == DigestRecipients.Email ? SendEmailAsync(target.Address, message, ct) : PostWebhookAsync(target.Address, message, ct);

    private async Task SendEmailAsync(string to, DigestMessage message, CancellationToken ct)
    {
        var smtp = options.Value.Smtp;
        if (string.IsNullOrWhiteSpace(smtp.Host)) throw new InvalidOperationException("Digest:Smtp:Host is not set.");
        using var mail = new MailMessage(smtp.From, to) { Subject = message.Subject, SubjectEncoding = Encoding.UTF8 };
        // Base64 keeps the arrows (UTF-8) intact through any relay.
        var text = AlternateView.CreateAlternateViewFromString(message.Text, Encoding.UTF8, MediaTypeNames.Text.Plain);
        text.TransferEncoding = TransferEncoding.Base64;
        var html = AlternateView.CreateAlternateViewFromString(message.Html, Encoding.UTF8, MediaTypeNames.Text.Html);
        html.TransferEncoding = TransferEncoding.Base64;
        mail.AlternateViews.Add(text);
        mail.AlternateViews.Add(html);
        using var client = new SmtpClient(smtp.Host, smtp.Port)
        {
            EnableSsl = smtp.UseTls,
            DeliveryMethod = SmtpDeliveryMethod.Network,
            Timeout = 30_000,
        };
        if (!string.IsNullOrEmpty(smtp.User)) client.Credentials = new NetworkCredential(smtp.User, smtp.Password);
        await client.SendMailAsync(mail, ct);
    }

    private async Task PostWebhookAsync(string url, DigestMessage message, CancellationToken ct)
    {
        using var client = http.CreateClient(HttpClientName);
        using var content = new StringContent(message.WebhookJson, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(url, content, ct);
        if (response.IsSuccessStatusCode) return;
        var body = await response.Content.ReadAsStringAsync(ct);
        throw new HttpRequestException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}"
            + (body.Length == 0 ? "" : ": " + (body.Length > 200 ? body[..200] + "…" : body)), null, response.StatusCode);
    }

    /// <summary>The failure in words, with the target's address and the SMTP password masked wherever they appear.</summary>
    public string Describe(DigestTarget target, Exception ex)
    {
        var parts = new List<string>();
        for (var e = ex; e is not null; e = e.InnerException)
            if (!parts.Contains(e.Message)) parts.Add(e.Message);
        var text = string.Join(" ", parts);
        if (target.Kind == DigestRecipients.Webhook) text = text.Replace(target.Address, target.Display, StringComparison.OrdinalIgnoreCase);
        var password = options.Value.Smtp.Password;
        if (password.Length > 0) text = text.Replace(password, Access.KeyRedactingLoggerFactory.Mask, StringComparison.Ordinal);
        return text.Length > 1000 ? text[..1000] + "…" : text;
    }
}
