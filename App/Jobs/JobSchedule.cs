using Hangfire;

namespace Dashboard.Jobs;

/// <summary>Every recurring job, with its id and interval, declared in one place.</summary>
public sealed class JobSchedule(IRecurringJobManager jobs) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        jobs.AddOrUpdate<QuarantineRetentionJob>(QuarantineRetentionJob.Id, j => j.RunAsync(CancellationToken.None), Cron.Daily(3));
        jobs.AddOrUpdate<EventRetentionJob>(EventRetentionJob.Id, j => j.RunAsync(CancellationToken.None), Cron.Daily(4));
        jobs.AddOrUpdate<RollupJob>(RollupJob.Id, j => j.RunAsync(CancellationToken.None, null), RollupJob.Cron);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
