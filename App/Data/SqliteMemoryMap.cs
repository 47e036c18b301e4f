using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Dashboard.Data;

/// <summary>
/// Memory-maps the database file on every connection EF Core opens (<c>PRAGMA mmap_size</c>), so
/// reads of the rollups and indexes come straight from the operating system's page cache instead
/// of one system call per page. SQLite's own page cache does not last: in WAL mode a connection
/// drops it whenever another one has committed, and ingest commits all the time.
/// </summary>
public sealed class SqliteMemoryMap : DbConnectionInterceptor
{
    /// <summary>The most the bundled SQLite maps (its SQLITE_MAX_MMAP_SIZE); a larger file is read past it as usual.</summary>
    public const long Bytes = 0x7fff0000;

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData,
        CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    private static void Apply(DbConnection connection)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"PRAGMA mmap_size = {Bytes}";
        cmd.ExecuteNonQuery();
    }
}
