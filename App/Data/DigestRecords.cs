namespace Dashboard.Data;

/// <summary>Where the weekly digest goes: an email address or a Slack-compatible incoming webhook.</summary>
public sealed class DigestRecipientRecord
{
    public int Id { get; set; }
    /// <summary><c>email</c> or <c>webhook</c>.</summary>
    public required string Kind { get; set; }
    /// <summary>The email address, or the webhook's URL (a secret: shown and logged masked).</summary>
    public required string Address { get; set; }
    public long CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
}

/// <summary>One attempt to deliver one digest to one target. Times are Unix milliseconds (UTC).</summary>
public sealed class DigestDeliveryRecord
{
    public long Id { get; set; }
    /// <summary>The send (scheduled or "send now") the attempt belongs to.</summary>
    public required string RunId { get; set; }
    /// <summary>The first day of the reviewed week, YYYY-MM-DD.</summary>
    public required string Week { get; set; }
    public required string Kind { get; set; }
    /// <summary>The target as shown: an email address, or a webhook URL with its path masked.</summary>
    public required string Target { get; set; }
    public int Attempt { get; set; }
    public long At { get; set; }
    /// <summary><c>sent</c>, <c>retrying</c> (failed, another attempt follows) or <c>failed</c> (the last attempt failed).</summary>
    public required string Status { get; set; }
    public string? Error { get; set; }
}
