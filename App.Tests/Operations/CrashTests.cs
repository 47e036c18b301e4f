using Dashboard.Operations;
using Dashboard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Dashboard.Tests.Operations;

/// <summary>
/// The application killed with SIGKILL at chosen moments (a <see cref="FaultPoint"/> stops it
/// there): inside the rollup job's fold, and inside a migration of an older store whose migrations
/// rebuild the rollups. Started again on the same file, it migrates, folds what is left, and every
/// answer equals the answer read from the raw events; no event is folded twice or lost.
/// </summary>
public sealed class CrashTests : IAsyncLifetime
{
    private static readonly TimeSpan FoldPatience = TimeSpan.FromSeconds(90);
    private readonly string _database = Path.Combine(Path.GetTempPath(), "dashboard-tests", $"crash-{Guid.NewGuid():N}.db");
    private static readonly DateOnly Last = DateOnly.FromDateTime(DateTime.UtcNow);

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_database)!);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm", ".migrate-lock" })
            File.Delete(_database + suffix);
        return Task.CompletedTask;
    }

    private async Task LoadAsync(AppProcess app)
    {
        using var writer = app.CreateClient(DashboardFactory.WriteKey);
        await StoreAnswers.PostAllAsync(writer, StoreDataSet.Batches("crash", Last, users: 120));
    }

    /// <summary>Waits until the app's rollup job has folded every stored event.</summary>
    private Task FoldedAsync() =>
        Eventually.UntilAsync(() => Task.FromResult(StoreAnswers.Watermark(_database) == StoreAnswers.MaxEventId(_database)), FoldPatience);

    /// <summary>
    /// The rollups are exact, and the answers of a server whose rollups are complete equal those of
    /// a server that reads every event raw (the rollups emptied).
    /// </summary>
    private async Task AssertExactAsync()
    {
        SortedDictionary<string, string> folded;
        await using (var app = await AppProcess.StartAsync(_database))
        {
            await FoldedAsync();
            using var reader = app.CreateClient(DashboardFactory.ReadKey);
            folded = await StoreAnswers.ReadAsync(reader, StoreDataSet.Paths(Last));
        }
        StoreAnswers.AssertRollupsEqualTheRawEvents(_database);

        StoreAnswers.EmptyRollups(_database);
        await using (var app = await AppProcess.StartAsync(_database))
        {
            using var reader = app.CreateClient(DashboardFactory.ReadKey);
            Assert.Equal(await StoreAnswers.ReadAsync(reader, StoreDataSet.Paths(Last)), folded);
        }
    }

    [Fact]
    public async Task Kill_DuringARollupFold_RestartFoldsEveryEventOnceAndAnswersAreExact()
    {
        await using (var app = await AppProcess.StartAsync(_database, FaultPoint.RollupFold))
        {
            await LoadAsync(app);
            await app.WaitForOutputAsync($"fault point reached: {FaultPoint.RollupFold}", FoldPatience);
            await app.KillAsync();
        }
        // The fold's transaction died with the process: nothing of it is in the store.
        Assert.Equal(0, StoreAnswers.Watermark(_database));
        Assert.Equal(["0"], StoreAnswers.Rows(_database, "SELECT count(*) FROM UserDays"));

        await AssertExactAsync();
    }

    [Fact]
    public async Task Kill_DuringTheMigrationOfAnOlderStoreAndItsRollupRebuild_RestartMigratesRebuildsAndAnswersAreExact()
    {
        await using (var app = await AppProcess.StartAsync(_database))
        {
            await LoadAsync(app);
            await FoldedAsync();
        }
        // The store as an older release left it: before the migration that empties the rollups for
        // their rebuild (EventTimes), with its rollups folded.
        const string older = "20261126014406_DayCounts";
        await using (var db = new Dashboard.Data.DashboardDbContext(new DbContextOptionsBuilder<Dashboard.Data.DashboardDbContext>()
                         .UseSqlite($"Data Source={_database};Pooling=False").Options))
            await db.GetService<IMigrator>().MigrateAsync(older);
        Assert.NotEqual("0", StoreAnswers.Rows(_database, "SELECT count(*) FROM UserDays").Single());

        // Killed inside the first pending migration's transaction, holding EF Core's migration lock.
        await using (var app = await AppProcess.StartAsync(_database, FaultPoint.Migration, waitUntilServing: false))
        {
            await app.WaitForOutputAsync($"fault point reached: {FaultPoint.Migration}", FoldPatience);
            await app.KillAsync();
        }
        Assert.Equal(older, StoreAnswers.Rows(_database, "SELECT MigrationId FROM __EFMigrationsHistory ORDER BY MigrationId").Last());
        Assert.Equal(["1"], StoreAnswers.Rows(_database, "SELECT count(*) FROM __EFMigrationsLock")); // the lock a killed start leaves

        // The next start is not kept waiting by it: it migrates (emptying the rollups) and is killed again inside the rebuild's fold.
        await using (var app = await AppProcess.StartAsync(_database, FaultPoint.RollupFold))
        {
            await app.WaitForOutputAsync($"fault point reached: {FaultPoint.RollupFold}", FoldPatience);
            await app.KillAsync();
        }
        Assert.Equal(0, StoreAnswers.Watermark(_database));
        Assert.Equal(["0"], StoreAnswers.Rows(_database, "SELECT count(*) FROM UserDays"));
        Assert.Equal(["0"], StoreAnswers.Rows(_database, "SELECT count(*) FROM __EFMigrationsLock"));

        await AssertExactAsync();
    }
}
