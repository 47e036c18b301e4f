using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Dashboard.Analytics;
using Dashboard.Data;
using Dashboard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dashboard.Tests.Analytics;

public sealed class QueryGateTests
{
    private static QueryGate Gate(int perCaller = 2, double queueSeconds = 0.05, double timeoutSeconds = 30) =>
        new(Options.Create(new AnalyticsOptions
        {
            MaxConcurrentQueriesPerCaller = perCaller, QueryQueueSeconds = queueSeconds, QueryTimeoutSeconds = timeoutSeconds,
        }), TimeProvider.System);

    [Fact]
    public async Task RunAsync_OneQueryOverTheCallersLimit_IsRefusedWhileOthersStillRun()
    {
        var gate = Gate();
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = gate.RunAsync("key:a", _ => release.Task, CancellationToken.None);
        var second = gate.RunAsync("key:a", _ => release.Task, CancellationToken.None);

        var refused = await Assert.ThrowsAsync<QueryBusyException>(() => gate.RunAsync("key:a", _ => Task.FromResult(3), CancellationToken.None));
        Assert.Contains("at most 2 insight queries", refused.Message);
        Assert.Equal(4, await gate.RunAsync("key:b", _ => Task.FromResult(4), CancellationToken.None)); // another caller is not held up

        release.SetResult(1);
        var results = await Task.WhenAll(first, second);
        Assert.Equal(new[] { 1, 1 }, results);
        Assert.Equal(5, await gate.RunAsync("key:a", _ => Task.FromResult(5), CancellationToken.None));
    }

    [Fact]
    public async Task RunAsync_QueryWaitingForASlot_RunsWhenOneFrees()
    {
        var gate = Gate(perCaller: 1, queueSeconds: 10);
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = gate.RunAsync("person:maria", _ => release.Task, CancellationToken.None);
        var waiting = gate.RunAsync("person:maria", _ => Task.FromResult(2), CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        release.SetResult(1);

        Assert.Equal(2, await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, await first);
    }

    [Fact]
    public async Task RunAsync_QueryPastTheTimeLimit_IsStoppedAndItsSlotGivenBack()
    {
        var gate = Gate(perCaller: 1, timeoutSeconds: 0.2);

        var stopped = await Assert.ThrowsAsync<QueryTimeoutException>(() =>
            gate.RunAsync("key:a", async token => { await Task.Delay(Timeout.Infinite, token); return 0; }, CancellationToken.None));

        Assert.Contains("ran longer than the limit of 0.2 s", stopped.Message);
        Assert.Equal(7, await gate.RunAsync("key:a", _ => Task.FromResult(7), CancellationToken.None));
    }

    [Fact]
    public async Task RunAsync_LongSqliteStatement_IsInterruptedAtTheTimeLimit()
    {
        await using var factory = new DashboardFactory();
        var dbFactory = factory.Services.GetRequiredService<IDbContextFactory<DashboardDbContext>>();
        var gate = Gate(timeoutSeconds: 0.3);
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAsync<QueryTimeoutException>(() => gate.RunAsync("key:a", async token =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(token);
            await db.Database.OpenConnectionAsync(token);
            await using var cmd = db.Database.GetDbConnection().CreateCommand();
            // Counts to two billion: minutes of work unless the statement is interrupted.
            cmd.CommandText = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) SELECT count(*) FROM c";
            return await cmd.ExecuteScalarAsync(token);
        }, CancellationToken.None));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"stopped after {clock.Elapsed}");
    }

    [Fact]
    public async Task Get_InsightPastTheTimeLimit_Answers503WithTheReason()
    {
        await using var factory = new DashboardFactory(new Dictionary<string, string?> { ["Analytics:QueryTimeoutSeconds"] = "0" });
        using var client = factory.CreateReaderClient();

        using var response = await client.GetAsync("/api/insights/activity?from=2026-03-01&to=2026-03-31");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString();
        Assert.Contains("ran longer than the limit", error);
    }
}
