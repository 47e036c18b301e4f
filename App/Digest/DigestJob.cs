using Dashboard.Analytics.WeeklyReview;
using Dashboard.Components.Pages.Analytics;
using Dashboard.Data;
using Hangfire;
using Microsoft.Extensions.Options;

namespace Dashboard.Digest;

/// <summary>
/// The weekly digest: the weekly review of the last 7 full days (the page's default week), built
/// once into a <see cref="DigestMessage"/> and delivered to every target concurrently. Each target
/// gets up to <c>Digest:MaxAttempts</c> attempts, <c>RetryDelaySeconds</c> apart and doubling; every
/// attempt is a row of the delivery log, and every failure a warning (the target masked). Hangfire's
/// own retry is off: it would send again to the targets that already got the digest. The job runs on
/// a queue of its own (<see cref="Queue"/>), so waiting between attempts never holds up the rollups.
/// </summary>
public sealed class DigestJob(WeeklyReviewQuery review, DigestRecipients recipients, DigestDelivery delivery,
    IOptions<DigestOptions> options, TimeProvider clock, ILogger<DigestJob> logger)
{
    public const string Id = "weekly-digest";
    public const string Queue = "digest";

    /// <summary>Declares the weekly send (when enabled) with the configured day, hour and time zone, or removes it.</summary>
    public static void Schedule(IRecurringJobManager jobs, DigestOptions digest)
    {
        if (!digest.Enabled)
        {
            jobs.RemoveIfExists(Id);
            return;
        }
        jobs.AddOrUpdate<DigestJob>(Id, Queue, j => j.RunAsync(CancellationToken.None), digest.Cron,
            new RecurringJobOptions { TimeZone = digest.TimeZoneInfo });
    }

    /// <summary>"Send now": the same job, queued once.</summary>
    public static string Enqueue(IBackgroundJobClient jobs) => jobs.Enqueue<DigestJob>(Queue, j => j.RunAsync(CancellationToken.None));

    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(CancellationToken ct)
    {
        var targets = await recipients.TargetsAsync(ct);
        if (targets.Count == 0)
        {
            logger.LogInformation("Weekly digest: no recipients");
            return;
        }
        var result = await review.RunAsync(null, ct);
        var message = DigestMessage.Build(result, options.Value.PageUrl(result.To));
        var runId = Guid.NewGuid().ToString("N");
        await Task.WhenAll(targets.Select(t => DeliverAsync(runId, Formats.Day(result.From), t, message, ct)));
    }

    private async Task DeliverAsync(string runId, string week, DigestTarget target, DigestMessage message, CancellationToken ct)
    {
        var max = Math.Max(1, options.Value.MaxAttempts);
        var delay = TimeSpan.FromSeconds(Math.Max(0, options.Value.RetryDelaySeconds));
        for (var attempt = 1; attempt <= max; attempt++)
        {
            string? error = null;
            try
            {
                await delivery.SendAsync(target, message, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                error = delivery.Describe(target, ex);
            }
            var status = error is null ? DigestRecipients.Sent : attempt < max ? DigestRecipients.Retrying : DigestRecipients.Failed;
            await recipients.RecordAsync(new DigestDeliveryRecord
            {
                RunId = runId, Week = week, Kind = target.Kind, Target = target.Display, Attempt = attempt,
                At = clock.GetUtcNow().ToUnixTimeMilliseconds(), Status = status, Error = error,
            }, ct);
            if (error is null)
            {
                logger.LogInformation("Weekly digest sent to {Target} (attempt {Attempt})", target.Display, attempt);
                return;
            }
            logger.LogWarning("Weekly digest to {Target} failed (attempt {Attempt} of {Max}): {Error}", target.Display, attempt, max, error);
            if (attempt < max) await Task.Delay(delay * Math.Pow(2, attempt - 1), clock, ct);
        }
    }
}
