using Hangfire.Common;
using System.Text.Json;
using Dashboard.Analytics.WeeklyReview;
using Dashboard.Digest;
using Dashboard.Tests.Analytics;
using Dashboard.Tests.TestSupport;
using Hangfire;
using Hangfire.InMemory;
using Hangfire.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Digest;

public sealed class DigestJobTests : IAsyncLifetime
{
    private const string Secret = "T000/B000/very-secret-token";
    private const string SmtpPassword = "smtp-pass-never-logged";
    private readonly SmtpTestServer _smtp = new();
    private WebhookReceiver _hooks = default!;
    private DashboardFactory _factory = default!;

    public async Task InitializeAsync()
    {
        _hooks = await WebhookReceiver.StartAsync();
        _factory = new DashboardFactory(new Dictionary<string, string?>
        {
            ["Digest:Smtp:Host"] = "127.0.0.1",
            ["Digest:Smtp:Port"] = _smtp.Port.ToString(),
            ["Digest:Smtp:UseTls"] = "false",
            ["Digest:Smtp:From"] = "digest@example.com",
            ["Digest:Smtp:Password"] = SmtpPassword,
            ["Digest:BaseUrl"] = "https://dash.example.com/",
            ["Digest:RetryDelaySeconds"] = "0",
        }, scheduleJobs: false);
        _factory.StartServer();
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _hooks.DisposeAsync();
        await _smtp.DisposeAsync();
    }

    private static DateOnly Yesterday => DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-1);

    // This week (the 7 days ending yesterday): u1, u2, u3 once each, two days before yesterday's end;
    // last week: u4, u5. All are new users. Active 3 vs 2 (+1, +50%), events 3 vs 2, new users 3 vs 2.
    private Task SeedAsync() => new AnalyticsData(_factory.Services)
        .Event("u1", "APP_OPENED", $"{Yesterday.AddDays(-1):yyyy-MM-dd}T12:00:00Z")
        .Event("u2", "APP_OPENED", $"{Yesterday.AddDays(-1):yyyy-MM-dd}T12:00:00Z")
        .Event("u3", "APP_OPENED", $"{Yesterday:yyyy-MM-dd}T23:59:59Z")
        .Event("u4", "APP_OPENED", $"{Yesterday.AddDays(-7):yyyy-MM-dd}T12:00:00Z")
        .Event("u5", "APP_OPENED", $"{Yesterday.AddDays(-13):yyyy-MM-dd}T00:00:00Z")
        .SaveAsync();

    private DigestRecipients Recipients => _factory.Services.GetRequiredService<DigestRecipients>();

    private async Task<List<Dashboard.Data.DigestDeliveryRecord>> LogAsync()
    {
        await using var db = _factory.CreateDbContext();
        return await db.DigestDeliveries.AsNoTracking().OrderBy(d => d.Id).ToListAsync();
    }

    [Fact]
    public async Task RunAsync_EmailAndWebhook_CarryThePagesFiguresArrowsAndLink()
    {
        await SeedAsync();
        Assert.Null(await Recipients.AddAsync(DigestRecipients.Email, "pm@example.com", "admin"));
        Assert.Null(await Recipients.AddAsync(DigestRecipients.Webhook, _hooks.Url(Secret), "admin"));

        await _factory.Services.GetRequiredService<DigestJob>().RunAsync(CancellationToken.None);

        var from = Yesterday.AddDays(-6);
        var review = await _factory.Services.GetRequiredService<WeeklyReviewQuery>().RunAsync();
        Assert.Equal(new Change(3, 2), review.ActiveUsers);
        var link = $"https://dash.example.com/?end={Yesterday:yyyy-MM-dd}";

        var mail = Assert.Single(_smtp.Messages);
        Assert.Equal("digest@example.com", mail.From);
        Assert.Equal(["pm@example.com"], mail.To);
        Assert.Contains($"Subject: Weekly review: week of {from:yyyy-MM-dd}", mail.Data);
        var text = SmtpTestServer.Part(mail.Data, "text/plain");
        Assert.Contains("Active users: 3  ↑ +1 (+50%) vs 2", text);
        Assert.Contains("New users: 3  ↑ +1 (+50%) vs 2", text);
        Assert.Contains("Events: 3  ↑ +1 (+50%) vs 2", text);
        Assert.Contains("Retention, week 4: –  – vs –", text);
        Assert.Contains($"Open the weekly review: {link}", text);
        var html = SmtpTestServer.Part(mail.Data, "text/html");
        Assert.Contains("<b>3</b>", html);
        Assert.Contains("↑ +1 (+50%) vs 2", html);
        Assert.Contains($"<a href=\"{link}\">", html);

        var body = Assert.Single(_hooks.Bodies);
        using var json = JsonDocument.Parse(body);
        var webhookText = json.RootElement.GetProperty("text").GetString()!;
        Assert.Contains("• *Active users*: 3  ↑ +1 (+50%) vs 2", webhookText);
        Assert.Contains($"<{link}|Open the weekly review>", webhookText);
        Assert.Equal(JsonValueKind.Array, json.RootElement.GetProperty("blocks").ValueKind);

        var log = await LogAsync();
        Assert.Equal([("email", "pm@example.com", 1, "sent"), ("webhook", $"{new Uri(_hooks.Url("")).GetLeftPart(UriPartial.Authority)}/***", 1, "sent")],
            log.Select(d => (d.Kind, d.Target, d.Attempt, d.Status)).OrderBy(d => d.Kind).ToArray());
        Assert.All(log, d => Assert.Equal($"{from:yyyy-MM-dd}", d.Week));
    }

    [Fact]
    public async Task RunAsync_WebhookFailingTwice_ThreeAttemptsLoggedLastSent()
    {
        _hooks.FailFirst = 2;
        Assert.Null(await Recipients.AddAsync(DigestRecipients.Webhook, _hooks.Url(Secret), "admin"));

        await _factory.Services.GetRequiredService<DigestJob>().RunAsync(CancellationToken.None);

        var log = await LogAsync();
        Assert.Equal([(1, "retrying"), (2, "retrying"), (3, "sent")], log.Select(d => (d.Attempt, d.Status)).ToArray());
        Assert.StartsWith("HTTP 500", log[0].Error);
        Assert.Null(log[2].Error);
        Assert.Equal(3, _hooks.Requests);
    }

    [Fact]
    public async Task RunAsync_WebhookAlwaysFailing_FailureLoggedAndWarnedWithoutSecrets()
    {
        _hooks.FailFirst = int.MaxValue;
        Assert.Null(await Recipients.AddAsync(DigestRecipients.Webhook, _hooks.Url(Secret), "admin"));

        await _factory.Services.GetRequiredService<DigestJob>().RunAsync(CancellationToken.None);

        var log = await LogAsync();
        Assert.Equal([(1, "retrying"), (2, "retrying"), (3, "failed")], log.Select(d => (d.Attempt, d.Status)).ToArray());
        Assert.All(log, d => Assert.DoesNotContain(Secret, d.Target + d.Error));
        var warnings = _factory.Logs.Where(l => l.StartsWith("Warning") && l.Contains("Weekly digest")).ToList();
        Assert.Equal(3, warnings.Count);
        Assert.Contains("attempt 3 of 3", warnings[2]);
        Assert.DoesNotContain(_factory.Logs, l => l.Contains(Secret) || l.Contains(SmtpPassword));
    }

    [Fact]
    public async Task RunAsync_NoSmtpServerListening_EmailFailureShown()
    {
        var port = _smtp.Port;
        await _smtp.DisposeAsync();
        Assert.Null(await Recipients.AddAsync(DigestRecipients.Email, "pm@example.com", "admin"));

        await _factory.Services.GetRequiredService<DigestJob>().RunAsync(CancellationToken.None);

        var log = await LogAsync();
        Assert.Equal(["retrying", "retrying", "failed"], log.Select(d => d.Status).ToArray());
        Assert.False(string.IsNullOrWhiteSpace(log[2].Error));
        Assert.True(port > 0);
    }

    // 2026-03-29 is the first day of summer time in Berlin (02:00 CET → 03:00 CEST); 2026-10-25 the last.
    [Theory]
    [InlineData("2026-03-24T00:00:00Z", "Monday", 9, "Europe/Berlin", "2026-03-30T07:00:00Z")]
    [InlineData("2026-03-20T00:00:00Z", "Monday", 9, "Europe/Berlin", "2026-03-23T08:00:00Z")]
    [InlineData("2026-10-20T00:00:00Z", "Monday", 9, "Europe/Berlin", "2026-10-26T08:00:00Z")]
    [InlineData("2026-03-23T08:00:00Z", "Monday", 9, "Europe/Berlin", "2026-03-23T08:00:00Z")] // scheduled in its very minute: it runs now
    [InlineData("2026-03-23T07:59:00Z", "Monday", 9, "Europe/Berlin", "2026-03-23T08:00:00Z")]
    [InlineData("2026-03-28T00:00:00Z", "Sunday", 2, "Europe/Berlin", "2026-03-29T01:00:00Z")]
    [InlineData("2026-11-20T00:00:00Z", "Monday", 9, "America/New_York", "2026-11-23T14:00:00Z")]
    public void Schedule_DayHourTimeZone_NextRunInUtc(string now, string day, int hour, string zone, string expected)
    {
        var storage = new InMemoryStorage();
        var manager = new RecurringJobManager(storage, JobFilterProviders.Providers, new DefaultTimeZoneResolver(),
            () => AnalyticsData.T(now).UtcDateTime);

        DigestJob.Schedule(manager, new DigestOptions { Enabled = true, DayOfWeek = Enum.Parse<DayOfWeek>(day), Hour = hour, TimeZone = zone });

        using var connection = storage.GetConnection();
        var job = Assert.Single(connection.GetRecurringJobs());
        Assert.Equal(DigestJob.Id, job.Id);
        Assert.Equal(DigestJob.Queue, job.Job.Queue);
        Assert.Equal(AnalyticsData.T(expected).UtcDateTime, job.NextExecution);
    }

    [Fact]
    public void Schedule_Disabled_RemovesTheJob()
    {
        var storage = new InMemoryStorage();
        var manager = new RecurringJobManager(storage, JobFilterProviders.Providers, new DefaultTimeZoneResolver(), () => DateTime.UtcNow);
        DigestJob.Schedule(manager, new DigestOptions { Enabled = true });

        DigestJob.Schedule(manager, new DigestOptions { Enabled = false });

        using var connection = storage.GetConnection();
        Assert.Empty(connection.GetRecurringJobs());
    }

    [Theory]
    [InlineData("pm@example.com", null)]
    [InlineData("  pm@example.com ", null)]
    [InlineData("", "Enter an email address.")]
    [InlineData("not-an-email", "is not an email address")]
    [InlineData("pm@localhost", "is not an email address")]
    [InlineData("PM <pm@example.com>", "is not an email address")]
    [InlineData("p m@example.com", "is not an email address")]
    public async Task AddAsync_Email_Validated(string input, string? error)
    {
        var answer = await Recipients.AddAsync(DigestRecipients.Email, input, "admin");

        if (error is null) Assert.Null(answer);
        else Assert.Contains(error, answer);
    }

    [Theory]
    [InlineData("https://hooks.slack.com/services/T/B/x", null)]
    [InlineData("http://127.0.0.1:9/hook", null)]
    [InlineData("", "Enter the webhook's URL.")]
    [InlineData("hooks.slack.com/services/x", "starts with https://")]
    [InlineData("ftp://example.com/x", "starts with https://")]
    [InlineData("javascript:alert(1)", "starts with https://")]
    [InlineData("https://user:pass@example.com/x", "user name or password")]
    public async Task AddAsync_Webhook_Validated(string input, string? error)
    {
        var answer = await Recipients.AddAsync(DigestRecipients.Webhook, input, "admin");

        if (error is null) Assert.Null(answer);
        else Assert.Contains(error, answer);
    }

    [Fact]
    public async Task AddAsync_SameEmailTwiceAnyCase_SecondRefused()
    {
        Assert.Null(await Recipients.AddAsync(DigestRecipients.Email, "pm@example.com", "admin"));

        Assert.Contains("already gets the digest", await Recipients.AddAsync(DigestRecipients.Email, "PM@example.com", "admin"));
        Assert.Single(await Recipients.ListAsync());
    }
}
