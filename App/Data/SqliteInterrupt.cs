using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Dashboard.Data;

/// <summary>
/// Makes cancellation stop SQLite. The driver ignores a cancellation token once a statement runs,
/// so a cancelled query would keep its connection and a core busy until it ends by itself. EF Core
/// opens every connection with the operation's token; this interceptor ties that token to
/// <c>sqlite3_interrupt</c> for as long as the connection stays open (until it is closed or disposed), so a cancelled or timed-out
/// query fails with SQLITE_INTERRUPT at once, whatever statement (EF or raw) it was running.
/// </summary>
public sealed class SqliteInterrupt : DbConnectionInterceptor
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<DbConnection, Registration> Registrations = new();

    private sealed class Registration(CancellationTokenRegistration registration)
    {
        public void Dispose() => registration.Dispose();
    }

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.CanBeCanceled && connection is SqliteConnection sqlite)
        {
            var registration = cancellationToken.Register(static state =>
            {
                var c = (SqliteConnection)state!;
                if (c.State == System.Data.ConnectionState.Open && c.Handle is { } handle) SQLitePCL.raw.sqlite3_interrupt(handle);
            }, sqlite);
            Registrations.AddOrUpdate(connection, new Registration(registration));
        }
        return Task.CompletedTask;
    }

    public override InterceptionResult ConnectionClosing(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        Forget(connection);
        return result;
    }

    public override ValueTask<InterceptionResult> ConnectionClosingAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        Forget(connection);
        return ValueTask.FromResult(result);
    }

    // A context that is disposed with its connection still open disposes it without closing it first.
    public override InterceptionResult ConnectionDisposing(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        Forget(connection);
        return result;
    }

    public override ValueTask<InterceptionResult> ConnectionDisposingAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        Forget(connection);
        return ValueTask.FromResult(result);
    }

    private static void Forget(DbConnection connection)
    {
        if (Registrations.TryGetValue(connection, out var registration))
        {
            registration.Dispose();
            Registrations.Remove(connection);
        }
    }
}
