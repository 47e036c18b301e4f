using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Dashboard.Data;

/// <summary>
/// The store's size limit (<c>Database:MaxPageCount</c>, see <see cref="DatabaseLocation.MaxPageCount"/>)
/// on every connection: SQLite keeps <c>max_page_count</c> per connection, so each one that may
/// write sets it when it opens (EF Core's) or before each batch (the ingest writer's). A write
/// that would grow the file past it fails with SQLITE_FULL, as on a full disk, and the store
/// takes writes again as soon as the limit is raised or removed.
/// </summary>
public sealed class SqliteSizeLimit(Func<long?> maxPageCount) : DbConnectionInterceptor
{
    /// <summary>SQLite's own largest page count: no limit.</summary>
    public const long Unlimited = 4294967294;

    // Pooled connections keep a limit once set: after one was configured, every open sets it again.
    private volatile bool _limited;

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData,
        CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    private void Apply(DbConnection connection)
    {
        var limit = maxPageCount();
        if (limit is null && !_limited) return;
        _limited = true;
        Set(connection, limit);
    }

    /// <summary>Sets the connection's limit (null: none). SQLite never sets it below the file's current size.</summary>
    public static void Set(DbConnection connection, long? pages)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"PRAGMA max_page_count = {pages ?? Unlimited}";
        cmd.ExecuteNonQuery();
    }
}
