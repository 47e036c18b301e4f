using Dashboard.Data;
using Microsoft.Data.Sqlite;

namespace Dashboard.Operations;

/// <summary>
/// A consistent copy of the live SQLite store: <c>VACUUM INTO</c> reads one snapshot (a read
/// transaction, so ingest goes on writing meanwhile) and writes a compact database holding exactly
/// the commits before it started. The copy is written beside its destination and renamed into
/// place, so a file at the destination is always a whole backup. Restoring is starting the app on
/// the copy (<c>ConnectionStrings:Dashboard</c>).
/// </summary>
public static class StoreBackup
{
    /// <summary>Writes the copy to <paramref name="file"/> (replacing it); returns its size in bytes.</summary>
    public static async Task<long> WriteAsync(string connectionString, string file, CancellationToken ct = default)
    {
        var target = Path.GetFullPath(file);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var partial = target + ".partial";
        File.Delete(partial);
        await using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString()))
        {
            await connection.OpenAsync(ct);
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = "VACUUM INTO $file";
            cmd.Parameters.AddWithValue("$file", partial);
            cmd.CommandTimeout = 0;
            await cmd.ExecuteNonQueryAsync(ct);
        }
        File.Move(partial, target, overwrite: true);
        return new FileInfo(target).Length;
    }

    /// <summary>
    /// <c>backup FILE</c> on the command line: copies the configured store and exits (0, or 1 with
    /// the reason). Runs beside a live server on the same file.
    /// </summary>
    public static async Task<int> RunCommandAsync(string[] args, IConfiguration configuration, TextWriter output)
    {
        if (args.Length != 2)
        {
            await output.WriteLineAsync("usage: dotnet run --project App -- backup FILE");
            return 1;
        }
        var store = new DatabaseLocation(configuration);
        if (!File.Exists(store.FilePath))
        {
            await output.WriteLineAsync($"no store at {store.FilePath} (ConnectionStrings:Dashboard)");
            return 1;
        }
        try
        {
            var bytes = await WriteAsync(store.ConnectionString, args[1]);
            await output.WriteLineAsync($"backup of {store.FilePath} written to {Path.GetFullPath(args[1])} ({bytes:N0} bytes)");
            return 0;
        }
        catch (SqliteException ex)
        {
            await output.WriteLineAsync($"the backup failed: {ex.Message}");
            return 1;
        }
    }
}
