namespace Dashboard.Digest;

/// <summary>Settings under <c>Digest</c>.</summary>
public sealed class DigestOptions
{
    /// <summary>The weekly send is scheduled (default false). "Send now" on the digest page works either way.</summary>
    public bool Enabled { get; set; }

    /// <summary>The day of the weekly send (default Monday).</summary>
    public DayOfWeek DayOfWeek { get; set; } = DayOfWeek.Monday;

    /// <summary>The hour of the weekly send, 0–23, in <see cref="TimeZone"/> (default 9).</summary>
    public int Hour { get; set; } = 9;

    /// <summary>An IANA (or Windows) time zone id (default UTC).</summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>The dashboard's public address (e.g. https://dashboard.example.com), for the link to the weekly review; empty: no link.</summary>
    public string BaseUrl { get; set; } = "";

    public DigestSmtpOptions Smtp { get; set; } = new();

    /// <summary>Webhook URLs that get every digest besides those added on the digest page.</summary>
    public List<string> Webhooks { get; set; } = [];

    /// <summary>Attempts per target before a delivery counts as failed (default 3).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The wait before the second attempt, doubled before each further one (default 30 seconds).</summary>
    public double RetryDelaySeconds { get; set; } = 30;

    public TimeZoneInfo TimeZoneInfo => System.TimeZoneInfo.FindSystemTimeZoneById(string.IsNullOrWhiteSpace(TimeZone) ? "UTC" : TimeZone);

    /// <summary>The Hangfire cron of the weekly send (minute 0 of the hour on the day, in the time zone).</summary>
    public string Cron => $"0 {Math.Clamp(Hour, 0, 23)} * * {(int)DayOfWeek}";

    /// <summary>The weekly review of the week ending on <paramref name="end"/> on the dashboard; null without a base URL.</summary>
    public string? PageUrl(DateOnly end) => string.IsNullOrWhiteSpace(BaseUrl)
        ? null
        : $"{BaseUrl.TrimEnd('/')}/?end={end:yyyy-MM-dd}";
}

/// <summary>Settings under <c>Digest:Smtp</c>.</summary>
public sealed class DigestSmtpOptions
{
    /// <summary>The SMTP server; empty: email recipients cannot be sent to (their deliveries fail and say so).</summary>
    public string Host { get; set; } = "";

    public int Port { get; set; } = 587;

    /// <summary>STARTTLS before anything else is said (default true).</summary>
    public bool UseTls { get; set; } = true;

    /// <summary>The user name to authenticate with; empty: no authentication.</summary>
    public string User { get; set; } = "";

    /// <summary>The password (never logged or shown).</summary>
    public string Password { get; set; } = "";

    /// <summary>The sender address (default dashboard@localhost).</summary>
    public string From { get; set; } = "dashboard@localhost";
}
