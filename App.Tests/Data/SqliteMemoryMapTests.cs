using Dashboard.Data;
using Dashboard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Tests.Data;

public sealed class SqliteMemoryMapTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task Contexts_EveryOpenedConnection_MapsTheDatabaseFile()
    {
        foreach (var _ in Enumerable.Range(0, 2))
        {
            await using var db = _factory.CreateDbContext();
            await db.Database.OpenConnectionAsync();
            await using var cmd = db.Database.GetDbConnection().CreateCommand();
            cmd.CommandText = "PRAGMA mmap_size";

            Assert.Equal(SqliteMemoryMap.Bytes, (long)(await cmd.ExecuteScalarAsync())!);
        }
    }
}
