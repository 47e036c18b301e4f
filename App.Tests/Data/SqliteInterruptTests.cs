using System.Runtime.CompilerServices;
using Dashboard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Tests.Data;

public sealed class SqliteInterruptTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task ContextDisposedWithItsConnectionOpen_LongLivedToken_NoLongerHoldsTheConnection()
    {
        using var cts = new CancellationTokenSource();
        var connection = await OpenAndDisposeAsync(cts.Token);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        // Left registered, the token's callback would keep the disposed connection alive as long as the token lives.
        Assert.False(connection.IsAlive);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private async Task<WeakReference> OpenAndDisposeAsync(CancellationToken token)
    {
        await using var db = _factory.CreateDbContext();
        await db.Database.OpenConnectionAsync(token);
        await db.Database.ExecuteSqlRawAsync("SELECT 1", token);
        return new WeakReference(db.Database.GetDbConnection());
    }
}
