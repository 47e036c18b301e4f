using System.Diagnostics;
using Dashboard.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Bench;

/// <summary>
/// The raw limit of the store: one prepared INSERT reused for every row inside one transaction,
/// into the Events table created by the real migrations, optionally after dropping some of its indexes,
/// with the same page cache as the batch writer.
/// </summary>
public static class RawInsertBaseline
{
    public static double RowsPerSecond(string databasePath, int rows, string dropIndexes)
    {
        var cs = $"Data Source={databasePath};Pooling=False";
        using (var db = new DashboardDbContext(new DbContextOptionsBuilder<DashboardDbContext>().UseSqlite(cs).Options))
            db.Database.Migrate();
        using var connection = new SqliteConnection(cs);
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;" +
                string.Concat(dropIndexes.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(i => $"DROP INDEX {i};"));
            pragma.ExecuteNonQuery();
        }
        var rows_ = EventRows.Generate(rows, seed: 1).ToArray();
        var sw = Stopwatch.StartNew();
        using (var tx = connection.BeginTransaction())
        {
            Insert(connection, tx, rows_);
            tx.Commit();
        }
        return rows / sw.Elapsed.TotalSeconds;
    }

    /// <summary>Inserts the rows into Events with one prepared INSERT, inside the caller's transaction.</summary>
    public static void Insert(SqliteConnection connection, SqliteTransaction tx, IEnumerable<EventRow> rows)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO Events (MessageId, Name, UserId, Timestamp, ReceivedAt, Properties) VALUES ($m, $n, $u, $t, $r, $p)";
        var m = cmd.Parameters.Add("$m", SqliteType.Text);
        var n = cmd.Parameters.Add("$n", SqliteType.Text);
        var u = cmd.Parameters.Add("$u", SqliteType.Integer);
        var t = cmd.Parameters.Add("$t", SqliteType.Integer);
        var r = cmd.Parameters.Add("$r", SqliteType.Integer);
        var p = cmd.Parameters.Add("$p", SqliteType.Text);
        cmd.Prepare();
        foreach (var row in rows)
        {
            m.Value = row.MessageId;
            n.Value = row.Name;
            u.Value = row.UserId;
            t.Value = row.Timestamp;
            r.Value = row.ReceivedAt ?? row.Timestamp;
            p.Value = row.Properties;
            cmd.ExecuteNonQuery();
        }
    }
}

/// <summary>An Events row; ReceivedAt defaults to the timestamp.</summary>
public sealed record EventRow(string MessageId, string Name, long UserId, long Timestamp, string Properties, long? ReceivedAt = null);

/// <summary>Event rows shaped like real traffic: random message ids, 200,000 users, time-ordered.</summary>
public static class EventRows
{
    public static IEnumerable<EventRow> Generate(int count, int seed)
    {
        var rng = new Random(seed);
        var t0 = DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeMilliseconds();
        for (var i = 0; i < count; i++)
        {
            var feature = rng.Next(12);
            yield return new EventRow(Guid.NewGuid().ToString("N"), "FEATURE_ENGAGED", rng.Next(200_000), t0 + i,
                $$"""{"featureName":"feature_{{feature}}","clickTarget":"button"}""");
        }
    }
}
