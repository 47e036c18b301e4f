using System.Diagnostics;
using Dashboard.Analytics;
using Dashboard.Analytics.Activation;
using Dashboard.Analytics.Activity;
using Dashboard.Analytics.Engagement;
using Dashboard.Analytics.Funnels;
using Dashboard.Analytics.Retention;
using Dashboard.Analytics.Trends;
using Dashboard.Analytics.WeeklyReview;
using Dashboard.Data;
using Dashboard.Flags;
using Dashboard.Jobs;
using Dashboard.People;
using Dashboard.Setup;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dashboard.Bench;

/// <summary>
/// The analytics queries on <see cref="AnalyticsDataSet"/> (10M events, 200k users, 90 days). It works
/// on a copy of the cached file, brought to the current migrations, times every query class at the
/// ranges a product manager asks for (cold: first run in the process on a new connection; warm: median
/// of the next runs), and prints each against its target and against a bare count of the range.
/// </summary>
public static class AnalyticsBenchmark
{
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    public static async Task RunAsync(BenchOptions o)
    {
        var source = AnalyticsDataSet.EnsureGenerated();
        var work = source.Replace(".db", ".work.db");
        // With --reuse, a copy whose rollups were already brought up (same migrations, same tail) is
        // used instead of running the rollup job from empty; published figures come from full runs.
        var last = typeof(DashboardDbContext).Assembly.GetTypes()
            .Select(t => t.GetCustomAttributes(typeof(Microsoft.EntityFrameworkCore.Migrations.MigrationAttribute), false))
            .SelectMany(a => a.Cast<Microsoft.EntityFrameworkCore.Migrations.MigrationAttribute>()).Max(a => a.Id);
        var prepared = source.Replace(".db", $".rolled-{last}-t{o.Tail}.db");
        // A prepared copy with a longer tail serves too: the job folds the difference in.
        var reusable = Directory.GetFiles(Path.GetDirectoryName(source)!, Path.GetFileName(source).Replace(".db", $".rolled-{last}-t*.db"))
            .Select(f => (File: f, Tail: int.TryParse(f[(f.LastIndexOf("-t", StringComparison.Ordinal) + 2)..^3], out var t) ? t : -1))
            .Where(f => f.Tail >= o.Tail).OrderBy(f => f.Tail).Select(f => f.File).FirstOrDefault();
        Delete(work);
        var reuse = o.Reuse && reusable is not null;
        if (reuse) prepared = reusable!;
        File.Copy(reuse ? prepared : source, work);
        try
        {
            await RunOnAsync(work, o, reuse, prepared);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Delete(work);
        }
    }

    private static void Delete(string path)
    {
        foreach (var f in Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path) + "*")) File.Delete(f);
    }

    private static async Task RunOnAsync(string path, BenchOptions o, bool reused, string prepared)
    {
        var cs = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        var builder = new DbContextOptionsBuilder<DashboardDbContext>();
        builder.UseDashboardSqlite(cs);
        var dbOptions = builder.Options;
        var sw = Stopwatch.StartNew();
        await using (var db = new DashboardDbContext(dbOptions))
        {
            db.Database.SetCommandTimeout(TimeSpan.FromMinutes(10));
            await db.Database.MigrateAsync();
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
        }
        var migrateSeconds = sw.Elapsed.TotalSeconds;
        var factory = new PooledDbContextFactory<DashboardDbContext>(dbOptions);
        var now = new DateTimeOffset(AnalyticsDataSet.LastDay.AddDays(1).ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero);
        var clock = new FixedClock(now);
        var last = AnalyticsDataSet.LastDay;
        List<string> extra;
        if (reused)
        {
            long max;
            await using (var db = await factory.CreateDbContextAsync())
                max = await db.Events.MaxAsync(e => e.Id);
            await new RollupJob(factory).RunAsync(CancellationToken.None, max - o.Tail);
            extra = [$"rollups from {Path.GetFileName(prepared)} (--reuse); {o.Tail:N0} events above the watermark while timing"];
        }
        else
        {
            extra = await PrepareAsync(factory, o.Tail);
            // Kept for --reuse: the file as it is now, WAL folded in.
            await using (var c = new SqliteConnection(cs))
            {
                c.Open();
                Scalar(c, "PRAGMA wal_checkpoint(TRUNCATE)");
            }
            SqliteConnection.ClearAllPools();
            foreach (var f in Directory.GetFiles(Path.GetDirectoryName(prepared)!, "*.rolled-*")) File.Delete(f);
            File.Copy(path, prepared);
        }

        long events, users;
        await using (var connection = new SqliteConnection(cs))
        {
            connection.Open();
            events = Scalar(connection, "SELECT count(*) FROM Events");
            users = Scalar(connection, "SELECT count(*) FROM Users");
        }
        Console.WriteLine($"# Analytics benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, " +
                          $"{GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB");
        Console.WriteLine($"data set {AnalyticsDataSet.Version}: {events:N0} events, {users:N0} users, {AnalyticsDataSet.Days} days " +
                          $"to {last:yyyy-MM-dd}; clock {now:yyyy-MM-dd HH:mm} UTC; migrations {migrateSeconds:F1} s");
        foreach (var line in extra) Console.WriteLine(line);
        Console.WriteLine();

        var activity = new ActivityQuery(factory);
        var activation = new ActivationQuery(factory, clock);
        var funnel = new FunnelQuery(factory, clock);
        var features = new FeatureEngagementQuery(factory, Options.Create(new AnalyticsOptions()));
        var retention = new RetentionQuery(factory, clock);

        var d30 = last.AddDays(-29);
        var runs = Math.Max(3, o.Runs);

        // Baseline: a bare count of the 30-day range through the Timestamp index, on its own connection.
        var (fromMs, endMs) = (AnalyticsDataSet.UtcMs(d30), AnalyticsDataSet.UtcMs(last.AddDays(1)));
        var baseline = await TimeAsync(runs, async _ =>
        {
            await using var c = new SqliteConnection(cs);
            c.Open();
            Scalar(c, $"SELECT count(*) FROM Events WHERE Timestamp >= {fromMs} AND Timestamp < {endMs}");
        });

        var rows = new List<(string Name, string Range, double Target, (double Cold, double Warm) T)>
        {
            ("activity, daily", "30 days", 0.3, await TimeAsync(runs, ct => activity.RunAsync(d30, last, ActivityInterval.Day, ct))),
            ("activity, weekly", "90 days", 0.3, await TimeAsync(runs, ct => activity.RunAsync(last.AddDays(-89), last, ActivityInterval.Week, ct))),
            ("feature engagement", "30 days", 0.5, await TimeAsync(runs, ct => features.RunAsync(d30, last, ct))),
            ("funnel, 4 steps: registered, opened, project, feature", "30 days, 14d window", 1.0, await TimeAsync(runs, ct => funnel.RunAsync(
                new FunnelRequest(["USER_REGISTERED", "APP_OPENED", "PROJECT_CREATED", "FEATURE_ENGAGED"], d30, last), ct))),
            ("funnel, 3 steps: opened, feature, project", "30 days, 14d window", 1.0, await TimeAsync(runs, ct => funnel.RunAsync(
                new FunnelRequest(["APP_OPENED", "FEATURE_ENGAGED", "PROJECT_CREATED"], d30, last), ct))),
            ("activation", "30 days, 7d", double.NaN, await TimeAsync(runs, ct => activation.RunAsync(new ActivationRequest(d30, last), ct))),
            ("retention", "90 days", double.NaN, await TimeAsync(runs, ct => retention.RunAsync(last.AddDays(-89), last, ct))),
        };
        // The trends page: one event per day over 30 days, alone and broken down by an event property
        // (its 12 feature names); both read the event's raw rows, not the rollups.
        var trends = new TrendsQuery(factory);
        var trend = new TrendsRequest("FEATURE_ENGAGED", [], TrendMeasure.Total, TrendInterval.Day, d30, last);
        rows.Add(("trend, daily total of FEATURE_ENGAGED (TrendsQuery)", "30 days", 0.3, await TimeAsync(runs, ct => trends.RunAsync(trend, ct))));
        rows.Add(("trend, same by featureName", "30 days", 0.5, await TimeAsync(runs, ct => trends.RunAsync(
            trend with { Breakdown = new Breakdown(BreakdownSource.EventProperty, "featureName") }, ct))));

        // The person page: the person (traits, event count, exposures, flags) and the first page of
        // the timeline, for the user with the median number of events.
        var flagOptions = Options.Create(new FlagOptions());
        var flagCache = new FlagCache(factory, new EvaluationCounters(factory, flagOptions, clock, NullLogger<EvaluationCounters>.Instance),
            flagOptions, NullLogger<FlagCache>.Instance);
        await flagCache.ReloadAsync();
        var (person, personEvents) = (new PersonQuery(factory, flagCache), new PersonEventsQuery(factory));
        string typical;
        long typicalEvents;
        await using (var c = new SqliteConnection(cs))
        {
            c.Open();
            typicalEvents = Scalar(c, "SELECT n FROM (SELECT count(*) AS n FROM Events GROUP BY UserId) ORDER BY n " +
                                      "LIMIT 1 OFFSET (SELECT count(DISTINCT UserId) FROM Events) / 2");
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT u.Key FROM Users u WHERE (SELECT count(*) FROM Events e WHERE e.UserId = u.Id) = {typicalEvents} LIMIT 1";
            typical = (string)cmd.ExecuteScalar()!;
        }
        rows.Add(("person page: PersonQuery + first PersonEventsQuery page", $"{typical}, {typicalEvents:N0} events (median)", 0.1,
            await TimeAsync(runs, async ct =>
            {
                _ = await person.FindAsync(typical, ct) ?? throw new InvalidOperationException($"{typical} not found");
                _ = await personEvents.RunAsync(typical, PeopleCursor.DefaultLimit, null, ct);
            })));

        // The weekly review page's query: the last 7 full days against the 7 before (active users,
        // events, new users, activation, week-4 retention, features with their 8-week trend).
        var newUsers = new NewUsersQuery(factory);
        var review = await TimeAsync(runs, ct => new WeeklyReviewQuery(activity, activation, features, newUsers, clock).RunAsync(last, ct));
        rows.Insert(3, ("weekly review (WeeklyReviewQuery)", "7 + 7 days", 1.0, review));
        // Its parts, one at a time (the review runs them concurrently).
        var (week, weekBefore) = (last.AddDays(-6), last.AddDays(-13));
        rows.InsertRange(4,
        [
            ("· part: feature engagement", "7 + 7 days + 8 weeks", double.NaN, await TimeAsync(runs, ct => features.RunAsync(
                [(week, last), (weekBefore, last.AddDays(-7)), (last.AddDays(-55), last)], ct))),
            ("· part: activity, daily", "28 days", double.NaN, await TimeAsync(runs, ct => activity.RunAsync(last.AddDays(-27), last, ActivityInterval.Day, ct))),
            ("· part: new users per day", "28 days", double.NaN, await TimeAsync(runs, ct => newUsers.PerDayAsync(last.AddDays(-27), last, ct))),
            ("· part: activation", "7 + 7 days", double.NaN, await TimeAsync(runs, ct => activation.RunAsync(
                [new ActivationRequest(week, last), new ActivationRequest(weekBefore, last.AddDays(-7))], ct))),
            ("· part: week-4 retention", "7 days (run twice)", double.NaN, await TimeAsync(runs, ct => newUsers.ActivityAsync(
                week.AddDays(-28), last.AddDays(-28), week, last, ct))),
        ]);

        var finish = await FinishAsync(factory, async () => System.Text.Json.JsonSerializer.Serialize(new object[]
        {
            await activity.RunAsync(d30, last, ActivityInterval.Day), await activity.RunAsync(last.AddDays(-89), last, ActivityInterval.Week),
            await features.RunAsync(d30, last), await retention.RunAsync(last.AddDays(-89), last),
        }));

        Console.WriteLine($"Baseline: `SELECT count(*)` of the 30-day range through the Timestamp index: {baseline.Warm * 1000:F0} ms warm " +
                          $"({baseline.Cold * 1000:F0} ms cold). Runs: cold = first in the process, warm = median of {runs}.");
        Console.WriteLine();
        Console.WriteLine("| query | range | cold ms | warm ms | warm ÷ baseline | target | met |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---|");
        static string Ms(double s) => double.IsInfinity(s) ? $"> {Limit.TotalMilliseconds:F0}" : $"{s * 1000:F0}";
        foreach (var (name, range, target, t) in rows)
        {
            var met = double.IsNaN(target) ? "–" : t.Warm <= target ? "yes" : "no";
            Console.WriteLine($"| {name} | {range} | {Ms(t.Cold)} | {Ms(t.Warm)} | {(double.IsInfinity(t.Warm) ? "–" : $"{t.Warm / baseline.Warm:F1}×")} | " +
                              $"{(double.IsNaN(target) ? "–" : $"< {target * 1000:F0} ms")} | {met} |");
        }
        Console.WriteLine();
        Console.WriteLine(finish);
    }

    /// <summary>
    /// Brings the rollups up to all but the newest <paramref name="tail"/> events with the rollup job,
    /// as a server catching up on an existing store would, and reports the time it took. The default
    /// tail, 6,000 events, is 15 seconds of ingest at 400 events/s (the job runs every 15 seconds),
    /// about 300 times this data set's average rate; --tail 60000 is 15 seconds at 4,000 events/s.
    /// </summary>
    private static async Task<List<string>> PrepareAsync(IDbContextFactory<DashboardDbContext> factory, int tail)
    {
        long max;
        await using (var db = await factory.CreateDbContextAsync())
            max = await db.Events.MaxAsync(e => e.Id);
        var sw = Stopwatch.StartNew();
        var folded = await new RollupJob(factory).RunAsync(CancellationToken.None, max - tail);
        var seconds = sw.Elapsed.TotalSeconds;
        return [$"rollup job from empty: {folded:N0} events in {seconds:F1} s ({folded / seconds:N0} events/s, " +
                $"{RollupJob.Chunk:N0} per transaction, {seconds / Math.Ceiling(folded / (double)RollupJob.Chunk) * 1000:F0} ms each); " +
                $"{tail:N0} events left above the watermark while timing"];
    }

    /// <summary>Folds the tail in and checks that the answers do not change (rollup + tail = rollup alone).</summary>
    private static async Task<string> FinishAsync(IDbContextFactory<DashboardDbContext> factory, Func<Task<string>> answers)
    {
        var before = await answers();
        var sw = Stopwatch.StartNew();
        var folded = await new RollupJob(factory).RunAsync(CancellationToken.None);
        var ms = sw.Elapsed.TotalMilliseconds;
        var after = await answers();
        return $"rollup job run on the {folded:N0}-event tail: {ms:F0} ms; answers with the tail read raw and after folding it in " +
               (before == after ? "are identical" : "DIFFER");
    }

    /// <summary>Stops a query after this long and reports it as slower than the limit.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static async Task<(double Cold, double Warm)> TimeAsync(int runs, Func<CancellationToken, Task> run)
    {
        var sw = Stopwatch.StartNew();
        using (var cts = new CancellationTokenSource(Limit))
        {
            try
            {
                await run(cts.Token);
            }
            catch (Exception e) when (cts.IsCancellationRequested && e is OperationCanceledException or SqliteException)
            {
                return (double.PositiveInfinity, double.PositiveInfinity);
            }
        }
        var cold = sw.Elapsed.TotalSeconds;
        var warm = new List<double>();
        // A slow query is timed fewer times, so the whole run stays within minutes.
        for (var i = 0; i < (cold > 5 ? 1 : runs); i++)
        {
            sw.Restart();
            await run(CancellationToken.None);
            warm.Add(sw.Elapsed.TotalSeconds);
        }
        warm.Sort();
        return (cold, warm[warm.Count / 2]);
    }

    internal static long Scalar(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.CommandTimeout = 0;
        return Convert.ToInt64(cmd.ExecuteScalar());
    }
}
