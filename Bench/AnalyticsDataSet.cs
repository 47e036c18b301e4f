using System.Diagnostics;
using Dashboard.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Bench;

/// <summary>
/// A deterministic product-analytics data set: 200,000 users who sign up over 90 days, and about
/// 10 million events of the taxonomy (USER_REGISTERED, APP_OPENED, FEATURE_ENGAGED with one of 12
/// feature names, PROJECT_CREATED) in time order, so rowids follow time as they do under ingest.
/// Users differ in how often they come back (power, casual, and early-churning users), features in
/// how popular they are (from about 40% of active users down to under 1%). The file is generated
/// once through the real migrations, with its secondary indexes built after the rows, and kept under
/// Bench/data/ keyed by <see cref="Version"/>.
/// </summary>
public static class AnalyticsDataSet
{
    public const string Version = "v1";
    public const int Users = 200_000;
    public const int Days = 90;
    public const int TargetEvents = 10_000_000;

    /// <summary>The last day of the data set; the benchmark's clock is noon of the day after.</summary>
    public static readonly DateOnly LastDay = new(2026, 11, 23);

    public static readonly string[] Features =
    [
        "dashboard_view", "search", "export_csv", "share_link", "comments", "filters",
        "kanban_board", "calendar_view", "integrations", "api_tokens", "dark_mode", "audit_log",
    ];

    // Relative popularity of the features above (Zipf-like).
    private static readonly double[] FeatureWeights = [30, 18, 12, 9, 7, 6, 5, 4, 3, 2, 1, 0.4];

    private enum Kind : byte { Registered, Opened, Feature, Project }

    private readonly record struct Ev(long Timestamp, int User, Kind Kind, byte Detail);

    public static string CachePath() => Path.Combine(ServerProcess.RepositoryRoot(), "Bench", "data", $"analytics-{Version}.db");

    /// <summary>The cached data set, generated first when missing.</summary>
    public static string EnsureGenerated()
    {
        var path = CachePath();
        if (File.Exists(path)) return path;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var partial = path + ".partial";
        foreach (var f in Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(partial) + "*")) File.Delete(f);

        var sw = Stopwatch.StartNew();
        // Scale the visit rate so the total lands on the target: events grow linearly with it.
        var probe = Generate(1.0, countOnly: true).Count;
        var scale = (double)TargetEvents / probe;
        var events = Generate(scale, countOnly: false);
        Console.WriteLine($"generated {events.Count:N0} events in memory in {sw.Elapsed.TotalSeconds:F1} s");
        Write(partial, events);
        File.Move(partial, path);
        Console.WriteLine($"data set written to {path} in {sw.Elapsed.TotalSeconds:F1} s");
        return path;
    }

    private static List<Ev> Generate(double scale, bool countOnly)
    {
        var events = new List<Ev>(countOnly ? 0 : 10_500_000);
        var count = 0;
        var firstMs = UtcMs(LastDay.AddDays(1 - Days));
        const long day = 86_400_000;
        for (var u = 0; u < Users; u++)
        {
            var rng = new Random(1000 + u);
            // Sign-ups grow over the period: the density of the sign-up day rises linearly.
            var signupDay = Math.Min(Days - 1, (int)(Days * (rng.NextDouble() < 0.4 ? rng.NextDouble() : Math.Sqrt(rng.NextDouble()))));
            var signupMs = firstMs + signupDay * day + (long)(rng.NextDouble() * day * 0.999);
            var type = rng.NextDouble();
            // Daily return probability: power, casual, or gone after the first week.
            Func<int, double> returnRate = type < 0.15 ? t => 0.65
                : type < 0.6 ? t => 0.25 * (0.4 + 0.6 * Math.Exp(-t / 30.0))
                : t => t < 7 ? 0.3 : 0.015;
            var sessionsPerDay = type < 0.15 ? 2.5 : 1.3;
            var activates = rng.NextDouble() < 0.45;
            var activationDay = activates ? (rng.NextDouble() < 0.6 ? 0 : 1 + rng.Next(9)) : -1;
            var taste = rng.Next(Features.Length); // each user leans to one extra feature

            void Add(long ts, Kind kind, byte detail)
            {
                if (ts >= firstMs + Days * day) return;
                count++;
                if (!countOnly) events.Add(new Ev(ts, u, kind, detail));
            }

            Add(signupMs, Kind.Registered, (byte)rng.Next(4));
            for (var t = 0; signupDay + t < Days; t++)
            {
                var dayStart = firstMs + (signupDay + t) * day;
                var active = t == 0 || t == activationDay || rng.NextDouble() < Math.Min(1, returnRate(t) * scale);
                if (!active) continue;
                var sessions = 1 + Poisson(rng, sessionsPerDay - 1);
                for (var s = 0; s < sessions; s++)
                {
                    var at = t == 0 && s == 0 ? signupMs + 5_000 : dayStart + (long)(rng.NextDouble() * day * 0.95);
                    Add(at, Kind.Opened, 0);
                    var clicks = Poisson(rng, 3.2);
                    for (var c = 0; c < clicks; c++)
                    {
                        at += 10_000 + rng.Next(300_000);
                        Add(at, Kind.Feature, (byte)(rng.NextDouble() < 0.2 ? taste : PickFeature(rng)));
                    }
                    if ((t == activationDay && s == 0) || (activates && t > activationDay && rng.NextDouble() < 0.04))
                        Add(at + 30_000 + rng.Next(600_000), Kind.Project, (byte)rng.Next(5));
                }
            }
        }
        if (countOnly) return new List<Ev>(new Ev[count]);
        events.Sort((a, b) => a.Timestamp != b.Timestamp ? a.Timestamp.CompareTo(b.Timestamp) : a.User.CompareTo(b.User));
        return events;
    }

    private static int PickFeature(Random rng)
    {
        var total = FeatureWeights.Sum();
        var x = rng.NextDouble() * total;
        for (var i = 0; i < FeatureWeights.Length; i++)
        {
            x -= FeatureWeights[i];
            if (x < 0) return i;
        }
        return FeatureWeights.Length - 1;
    }

    private static int Poisson(Random rng, double mean)
    {
        if (mean <= 0) return 0;
        var (l, k, p) = (Math.Exp(-mean), 0, 1.0);
        do { k++; p *= rng.NextDouble(); } while (p > l);
        return k - 1;
    }

    public static long UtcMs(DateOnly d) => new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds();

    private static readonly string[] Referrals = ["newsletter", "search", "friend", "ads"];
    private static readonly string[] Templates = ["kanban", "blank", "roadmap", "sprint", "crm"];
    private static readonly string[] Targets = ["button", "menu", "shortcut"];

    private static void Write(string path, List<Ev> events)
    {
        var cs = $"Data Source={path};Pooling=False";
        using (var db = new DashboardDbContext(new DbContextOptionsBuilder<DashboardDbContext>().UseSqlite(cs).Options))
            db.Database.Migrate();
        using var connection = new SqliteConnection(cs);
        connection.Open();
        Exec(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;");
        // Secondary indexes are dropped and rebuilt after the rows (a sort instead of random inserts).
        var indexes = new List<string>();
        using (var q = connection.CreateCommand())
        {
            q.CommandText = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('Events', 'Users') AND sql IS NOT NULL";
            using var r = q.ExecuteReader();
            while (r.Read()) indexes.Add(r.GetString(1));
        }
        foreach (var sql in indexes) Exec(connection, "DROP INDEX " + sql.Split('"')[1]);

        var first = new long[Users];
        var last = new long[Users];
        Array.Fill(first, long.MaxValue);
        foreach (var e in events)
        {
            first[e.User] = Math.Min(first[e.User], e.Timestamp);
            last[e.User] = Math.Max(last[e.User], e.Timestamp);
        }
        using (var tx = connection.BeginTransaction())
        using (var cmd = connection.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT INTO Users (Id, Key, Traits, FirstSeen, LastSeen) VALUES ($id, $k, $t, $f, $l)";
            var (id, k, t, f, l) = (cmd.Parameters.Add("$id", SqliteType.Integer), cmd.Parameters.Add("$k", SqliteType.Text),
                cmd.Parameters.Add("$t", SqliteType.Text), cmd.Parameters.Add("$f", SqliteType.Integer), cmd.Parameters.Add("$l", SqliteType.Integer));
            cmd.Prepare();
            for (var u = 0; u < Users; u++)
            {
                id.Value = u + 1;
                k.Value = $"user-{u}";
                t.Value = $$"""{"cohort":"{{(u % 10 == 0 ? "beta" : "general")}}","plan":"{{(u % 4 == 0 ? "premium" : "free")}}"}""";
                f.Value = first[u] == long.MaxValue ? 0 : first[u];
                l.Value = last[u];
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }

        var sw = Stopwatch.StartNew();
        var counts = new Dictionary<string, (long Count, long Last)>();
        IEnumerable<EventRow> Rows()
        {
            for (var i = 0; i < events.Count; i++)
            {
                var e = events[i];
                var (name, props) = e.Kind switch
                {
                    Kind.Registered => ("USER_REGISTERED", $$"""{"referralSource":"{{Referrals[e.Detail]}}","planType":"{{(e.User % 4 == 0 ? "premium" : "free")}}"}"""),
                    Kind.Opened => ("APP_OPENED", """{"platform":"web"}"""),
                    Kind.Feature => ("FEATURE_ENGAGED", $$"""{"featureName":"{{Features[e.Detail]}}","clickTarget":"{{Targets[(e.User + i) % 3]}}"}"""),
                    _ => ("PROJECT_CREATED", $$"""{"projectId":"p-{{e.User}}-{{i % 1000}}","templateUsed":"{{Templates[e.Detail]}}"}"""),
                };
                counts.TryGetValue(name, out var c);
                counts[name] = (c.Count + 1, Math.Max(c.Last, e.Timestamp));
                yield return new EventRow($"bench-{i:x8}", name, e.User + 1, e.Timestamp, props, e.Timestamp + 2_000);
            }
        }
        using (var tx = connection.BeginTransaction())
        {
            RawInsertBaseline.Insert(connection, tx, Rows());
            foreach (var (name, c) in counts)
                Exec(connection, $"INSERT INTO EventStats (Name, Count, LastSeen) VALUES ('{name}', {c.Count}, {c.Last})", tx);
            tx.Commit();
        }
        Console.WriteLine($"inserted {events.Count:N0} events in {sw.Elapsed.TotalSeconds:F1} s");
        sw.Restart();
        foreach (var sql in indexes) Exec(connection, sql);
        Exec(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
        Console.WriteLine($"indexes built in {sw.Elapsed.TotalSeconds:F1} s");
    }

    internal static void Exec(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.CommandTimeout = 0;
        cmd.ExecuteNonQuery();
    }
}
