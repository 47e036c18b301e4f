using Microsoft.Data.Sqlite;

namespace Dashboard.Ingest;

/// <summary>
/// Moves the write-ahead log into the database file on its own connection and thread, once a
/// second, so that the writer's commits never pay for a checkpoint. PASSIVE checkpoints do not
/// block the writer or readers; the writer restarts the log once everything in it is copied.
/// At shutdown a TRUNCATE checkpoint leaves an empty log behind.
/// </summary>
internal sealed class WalCheckpointer(string connectionString, ILogger logger)
{
    public async Task RunAsync(CancellationToken stop)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(CancellationToken.None);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stop)) Checkpoint(connection, "PASSIVE");
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    public void Final()
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        Checkpoint(connection, "TRUNCATE");
    }

    private void Checkpoint(SqliteConnection connection, string mode)
    {
        try
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = $"PRAGMA wal_checkpoint({mode});";
            cmd.ExecuteNonQuery();
        }
        catch (SqliteException ex)
        {
            logger.LogWarning(ex, "WAL checkpoint ({Mode}) failed; it is retried", mode);
        }
    }
}
