using System.Net.Mail;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dashboard.Digest;

public sealed record DigestTarget(int? RecipientId, string Kind, string Address)
{
    /// <summary>What the page and the log show: the address of an email, a webhook's URL with its path masked.</summary>
    public string Display => DigestRecipients.Mask(Kind, Address);
}

public sealed record DigestRecipientRow(int Id, string Kind, string Display, DateTimeOffset CreatedAt, string CreatedBy);

public sealed record DigestDeliveryRow(long Id, string RunId, string Week, string Kind, string Target, int Attempt, DateTimeOffset At,
    string Status, string? Error);

/// <summary>
/// The digest's recipients (email addresses and webhooks, added and removed by admins on the digest
/// page, plus the webhooks of <c>Digest:Webhooks</c>) and its delivery log, one row per attempt.
/// <see cref="Changed"/> tells open pages that a recipient or an attempt was written.
/// </summary>
public sealed class DigestRecipients(IDbContextFactory<DashboardDbContext> dbFactory, IOptions<DigestOptions> options, TimeProvider clock)
{
    public const string Email = "email";
    public const string Webhook = "webhook";
    public const string Sent = "sent";
    public const string Retrying = "retrying";
    public const string Failed = "failed";
    private const int MaxEmailLength = 254;
    private const int MaxUrlLength = 2048;

    public event Action? Changed;

    /// <summary>The address trimmed, or the reason it is not a plain email address (name@domain.tld).</summary>
    public static (string? Address, string? Error) ValidateEmail(string? input)
    {
        var address = input?.Trim() ?? "";
        if (address.Length == 0) return (null, "Enter an email address.");
        if (address.Length > MaxEmailLength) return (null, $"An email address has at most {MaxEmailLength} characters.");
        // MailAddress also takes "Name <a@b.c>" and a domain without a dot; a recipient is the bare address.
        if (!MailAddress.TryCreate(address, out var parsed) || parsed.Address != address || parsed.DisplayName.Length > 0
            || !parsed.Host.Contains('.') || parsed.Host.StartsWith('.') || parsed.Host.EndsWith('.') || address.Any(char.IsWhiteSpace))
            return (null, $"“{address}” is not an email address (name@example.com).");
        return (address, null);
    }

    /// <summary>The URL trimmed, or the reason it is not an absolute http or https URL.</summary>
    public static (string? Url, string? Error) ValidateWebhook(string? input)
    {
        var url = input?.Trim() ?? "";
        if (url.Length == 0) return (null, "Enter the webhook's URL.");
        if (url.Length > MaxUrlLength) return (null, $"A webhook URL has at most {MaxUrlLength} characters.");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.Host.Length == 0 || url.Any(char.IsWhiteSpace))
            return (null, "A webhook URL starts with https:// (or http://) and names a host.");
        if (uri.UserInfo.Length > 0) return (null, "A webhook URL may not carry a user name or password.");
        return (url, null);
    }

    /// <summary>An email address as it is; a URL as scheme://host[:port]/*** (a webhook's path is its secret).</summary>
    public static string Mask(string kind, string address)
    {
        if (kind != Webhook) return address;
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri)) return Access.KeyRedactingLoggerFactory.Mask;
        var path = uri.PathAndQuery is "/" or "" ? "" : "/" + Access.KeyRedactingLoggerFactory.Mask;
        return $"{uri.Scheme}://{uri.Authority}{path}";
    }

    public async Task<IReadOnlyList<DigestRecipientRow>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.DigestRecipients.AsNoTracking().OrderBy(r => r.Kind).ThenBy(r => r.Id).ToListAsync(ct);
        return rows.Select(r => new DigestRecipientRow(r.Id, r.Kind, Mask(r.Kind, r.Address), DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), r.CreatedBy))
            .ToList();
    }

    /// <summary>The configured webhooks, masked, for the page (they are not edited there).</summary>
    public IReadOnlyList<string> ConfiguredWebhooks => options.Value.Webhooks.Where(w => !string.IsNullOrWhiteSpace(w)).Select(w => Mask(Webhook, w.Trim())).ToList();

    /// <summary>Everyone a digest goes to: the stored recipients, then the configured webhooks.</summary>
    public async Task<IReadOnlyList<DigestTarget>> TargetsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var stored = await db.DigestRecipients.AsNoTracking().OrderBy(r => r.Id).ToListAsync(ct);
        return stored.Select(r => new DigestTarget(r.Id, r.Kind, r.Address))
            .Concat(options.Value.Webhooks.Where(w => !string.IsNullOrWhiteSpace(w)).Select(w => new DigestTarget(null, Webhook, w.Trim())))
            .DistinctBy(t => (t.Kind, t.Address))
            .ToList();
    }

    /// <summary>Adds an email address or a webhook; null on success, else why not.</summary>
    public async Task<string?> AddAsync(string kind, string? input, string by, CancellationToken ct = default)
    {
        var (address, error) = kind switch
        {
            Email => ValidateEmail(input),
            Webhook => ValidateWebhook(input),
            _ => (null, $"Unknown kind “{kind}”."),
        };
        if (address is null) return error;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Email addresses compare without case (as mail servers treat the domain, and people the rest).
        var exists = kind == Email
            ? await db.DigestRecipients.AnyAsync(r => r.Kind == kind && r.Address.ToLower() == address.ToLower(), ct)
            : await db.DigestRecipients.AnyAsync(r => r.Kind == kind && r.Address == address, ct);
        if (exists) return kind == Email ? $"{address} already gets the digest." : "That webhook already gets the digest.";
        db.DigestRecipients.Add(new DigestRecipientRecord { Kind = kind, Address = address, CreatedAt = clock.GetUtcNow().ToUnixTimeMilliseconds(), CreatedBy = by });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Added at the same moment from another page: the unique index kept one.
            return kind == Email ? $"{address} already gets the digest." : "That webhook already gets the digest.";
        }
        Changed?.Invoke();
        return null;
    }

    public async Task<bool> RemoveAsync(int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var removed = await db.DigestRecipients.Where(r => r.Id == id).ExecuteDeleteAsync(ct) > 0;
        if (removed) Changed?.Invoke();
        return removed;
    }

    public async Task RecordAsync(DigestDeliveryRecord attempt, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.DigestDeliveries.Add(attempt);
        await db.SaveChangesAsync(ct);
        Changed?.Invoke();
    }

    /// <summary>The newest attempts first.</summary>
    public async Task<IReadOnlyList<DigestDeliveryRow>> LogAsync(int limit = 100, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.DigestDeliveries.AsNoTracking().OrderByDescending(d => d.At).ThenByDescending(d => d.Id).Take(limit).ToListAsync(ct);
        return rows.Select(d => new DigestDeliveryRow(d.Id, d.RunId, d.Week, d.Kind, d.Target, d.Attempt, DateTimeOffset.FromUnixTimeMilliseconds(d.At),
            d.Status, d.Error)).ToList();
    }
}
