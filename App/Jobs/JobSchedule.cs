using Hangfire;

namespace Dashboard.Jobs;

/// <summary>Every recurring job, with its id and interval, declared in one place.</summary>
public sealed class JobSchedule(IRecurringJobManager jobs, Microsoft.Extensions.Options.IOptions<Operations.BackupOptions> backup,
    Microsoft.Extensions.Options.IOptions<Digest.DigestOptions> digest) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (backup.Value.Enabled)
            jobs.AddOrUpdate<Operations.BackupJob>(Operations.BackupJob.Id, j => j.RunAsync(CancellationToken.None), Cron.Daily(Math.Clamp(backup.Value.HourUtc, 0, 23)));
        else
            jobs.RemoveIfExists(Operations.BackupJob.Id);
        jobs.AddOrUpdate<QuarantineRetentionJob>(QuarantineRetentionJob.Id, j => j.RunAsync(CancellationToken.None), Cron.Daily(3));
        jobs.AddOrUpdate<EventRetentionJob>(EventRetentionJob.Id, j => j.RunAsync(CancellationToken.None), Cron.Daily(4));
        jobs.AddOrUpdate<RollupJob>(RollupJob.Id, j => j.RunAsync(CancellationToken.None, null), RollupJob.Cron);
        // Weekly, on the configured day and hour in the configured time zone (see DigestJob.Schedule).
        Digest.DigestJob.Schedule(jobs, digest.Value);
        jobs.AddOrUpdate<CohortJob>(CohortJob.Id, j => j.RunAsync(CancellationToken.None), Cron.Hourly(5));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
