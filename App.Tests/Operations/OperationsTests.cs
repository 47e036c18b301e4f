using System.Net;
using System.Text.Json;
using Dashboard.Data;
using Dashboard.Ingest;
using Dashboard.Operations;
using Dashboard.Tests.Analytics;
using Dashboard.Tests.Ingest;
using Dashboard.Tests.TestSupport;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static Dashboard.Tests.Ingest.IngestTestKit;

namespace Dashboard.Tests.Operations;

/// <summary>Backups of the live store (command, daily job) and the readiness check, on real stores.</summary>
public sealed class OperationsTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new(scheduleJobs: false);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "dashboard-tests", "backups-" + Guid.NewGuid().ToString("N"));

    public Task InitializeAsync()
    {
        _factory.Started();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    private static List<string> Read(string file, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read()) rows.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
        return rows;
    }

    [Fact]
    public async Task Backup_WhileIngestGoesOn_IsAWholeSnapshotThatStartsAsAStore()
    {
        using var stop = new CancellationTokenSource();
        var sent = 0;
        var load = Task.Run(async () =>
        {
            using var client = _factory.CreateIngestClient();
            while (!stop.IsCancellationRequested)
            {
                var batch = Enumerable.Range(0, 50).Select(_ => Feature(NewId("load"))).ToArray();
                using var response = await client.PostObjectAsync("/ingest", new { batch });
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Interlocked.Add(ref sent, 50);
            }
        });
        await Eventually.UntilAsync(() => Task.FromResult(Volatile.Read(ref sent) >= 500));
        var copy = Path.Combine(_folder, "copy.db");
        var connection = _factory.Services.GetRequiredService<DatabaseLocation>().ConnectionString;
        await StoreBackup.WriteAsync(connection, copy);
        await Eventually.UntilAsync(() => Task.FromResult(Volatile.Read(ref sent) >= 1_500)); // ingest went on during and after the copy
        stop.Cancel();
        await load;

        Assert.Equal(["ok"], Read(copy, "PRAGMA integrity_check"));
        // One snapshot: every batch's events and its per-name totals are in the copy together or not at all.
        var events = long.Parse(Read(copy, "SELECT count(*) FROM Events").Single());
        Assert.InRange(events, 500, Volatile.Read(ref sent) - 1);
        Assert.Equal(events.ToString(), Read(copy, "SELECT coalesce(sum(Count), 0) FROM EventStats").Single());
        // What the copy holds is what the live store held: a prefix of its events.
        Assert.Equal(Read(copy, "SELECT MessageId FROM Events ORDER BY Id"),
            Read(_factory.DatabasePath, $"SELECT MessageId FROM Events ORDER BY Id LIMIT {events}"));

        // Restoring is starting on the copy: the app opens it and answers from it.
        await using var restored = new DashboardFactory(new Dictionary<string, string?> { ["ConnectionStrings:Dashboard"] = $"Data Source={copy}" });
        using var reader = restored.CreateIngestClient(DashboardFactory.ReadKey);
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd");
        using var doc = JsonDocument.Parse(await reader.GetStringAsync($"/api/insights/activity?from={today}&to={today}"));
        Assert.Equal(events, doc.RootElement.GetProperty("points")[0].GetProperty("events").GetInt64());
    }

    [Fact]
    public async Task BackupCommand_WritesTheCopy_AndExplainsBadArguments()
    {
        using (var client = _factory.CreateIngestClient())
            Assert.Equal(HttpStatusCode.OK, (await client.PostObjectAsync("/ingest", Feature(NewId("cmd")))).StatusCode);
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Dashboard"] = $"Data Source={_factory.DatabasePath}",
        }).Build();
        var file = Path.Combine(_folder, "cmd.db");
        var output = new StringWriter();

        Assert.Equal(0, await StoreBackup.RunCommandAsync(["backup", file], config, output));
        Assert.Contains("written to", output.ToString());
        Assert.Equal(Read(_factory.DatabasePath, "SELECT count(*) FROM Events"), Read(file, "SELECT count(*) FROM Events"));

        Assert.Equal(1, await StoreBackup.RunCommandAsync(["backup"], config, output));
        Assert.Contains("usage:", output.ToString());
        var missing = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Dashboard"] = $"Data Source={Path.Combine(_folder, "none", "missing.db")}",
        }).Build();
        Assert.Equal(1, await StoreBackup.RunCommandAsync(["backup", file], missing, output));
        Assert.Contains("no store at", output.ToString());
    }

    [Fact]
    public async Task BackupJob_KeepsTheNewestCopies()
    {
        var store = _factory.Services.GetRequiredService<DatabaseLocation>();
        var options = Options.Create(new BackupOptions { Directory = _folder, Keep = 2 });
        var written = new List<string>();
        foreach (var day in new[] { "2026-11-01T02:00:00Z", "2026-11-02T02:00:00Z", "2026-11-03T02:00:00Z" })
            written.Add(await new BackupJob(store, options, new FixedClock(AnalyticsData.T(day)), NullLogger<BackupJob>.Instance).RunAsync(CancellationToken.None));

        Assert.Equal(written.Skip(1), Directory.EnumerateFiles(_folder, "dashboard-*.db").Order());
        Assert.EndsWith("dashboard-20261103-020000.db", written[^1]);
    }

    [Fact]
    public async Task Readyz_IsReadyThen503WithTheReasonsWhenTheRollupsLagAndTheWriterStops()
    {
        using var reader = _factory.CreateIngestClient(DashboardFactory.ReadKey);
        using (var ok = await reader.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("ready", JsonDocument.Parse(await ok.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
        }

        // An event that came in two minutes ago and is not folded yet (the job is not scheduled here).
        await using (var db = _factory.CreateDbContext())
        {
            var ms = DateTimeOffset.UtcNow.AddMinutes(-2).ToUnixTimeMilliseconds();
            db.TrackedUsers.Add(new UserRecord { Key = NewId("lag"), FirstSeen = ms, LastSeen = ms });
            await db.SaveChangesAsync();
            db.Events.Add(new EventRecord { MessageId = NewId("lag"), Name = "APP_OPENED", UserId = db.TrackedUsers.Max(u => u.Id), Timestamp = ms, ReceivedAt = ms });
            await db.SaveChangesAsync();
        }
        await _factory.Services.GetRequiredService<EventWriter>().StopAsync(CancellationToken.None);

        using var notReady = await reader.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        var body = JsonDocument.Parse(await notReady.Content.ReadAsStringAsync()).RootElement;
        var reasons = body.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()!).ToList();
        Assert.Contains("the batch writer is not running", reasons);
        Assert.Contains(reasons, r => r.StartsWith("the rollups are 1") && r.EndsWith("s behind (at most 60 s)"));
        Assert.InRange(body.GetProperty("rollupLagSeconds").GetDouble(), 119, 180);
    }

    /// <summary>Prometheus text: sample lines "name{labels} value"; comments (# HELP, # TYPE) and blank lines skipped.</summary>
    private static List<(string Name, string Labels, double Value)> ParsePrometheus(string text)
    {
        var samples = new List<(string, string, double)>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var m = System.Text.RegularExpressions.Regex.Match(line, @"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)( \d+)?$");
            Assert.True(m.Success, $"not a Prometheus sample line: {line}");
            samples.Add((m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                var v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture),
            }));
        }
        return samples;
    }

    [Fact]
    public async Task Metrics_AnswerPrometheusTextWithIngestQueueRollupInsightAndHttpFigures()
    {
        using (var ingest = _factory.CreateIngestClient())
        {
            var id = NewId("metrics");
            using var response = await ingest.PostObjectAsync("/ingest", new { batch = new object[] { Feature(id), Feature(id), new { @event = "NOT_IN_TAXONOMY", userId = "u" } } });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        using var reader = _factory.CreateIngestClient(DashboardFactory.ReadKey);
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd");
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync($"/api/insights/activity?from={today}&to={today}")).StatusCode);

        // The exporter caches a scrape for a moment: read until the figures of this test are in.
        var samples = await Eventually.ReadAsync(async () =>
        {
            using var response = await reader.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.ToString());
            return ParsePrometheus(await response.Content.ReadAsStringAsync());
        }, s => s.Any(x => x.Name.StartsWith("dashboard_insights_duration") && x.Labels.Contains("insight=\"activity\"")));

        double Sum(string prefix) => samples.Where(x => x.Name.StartsWith(prefix)).Sum(x => x.Value);
        Assert.True(Sum("dashboard_ingest_accepted") >= 1);
        Assert.True(Sum("dashboard_ingest_duplicates") >= 1);
        Assert.True(Sum("dashboard_ingest_rejected") >= 1);
        Assert.Contains(samples, x => x.Name.StartsWith("dashboard_ingest_queue_depth") && x.Value >= 0);
        Assert.Contains(samples, x => x.Name.StartsWith("dashboard_rollups_lag") && x.Value >= 0);
        Assert.Contains(samples, x => x.Name.StartsWith("dashboard_ingest_batch_write_ms"));
        Assert.Contains(samples, x => x.Name.StartsWith("http_server_request_duration"));
    }
}
