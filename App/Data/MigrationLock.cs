using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data;

/// <summary>
/// EF Core's migration lock on SQLite is a row in <c>__EFMigrationsLock</c> that only its holder
/// deletes: a process killed while migrating leaves it behind, and every later start would wait for
/// it for ever. So a start first takes an operating-system lock on a file beside the store
/// (<c>FILE.migrate-lock</c>), which the system releases when its process ends, however it ends.
/// Every start of the store takes it before migrating, so under it a row in
/// <c>__EFMigrationsLock</c> can only be a dead process's, and it is removed.
/// </summary>
public static class MigrationLock
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(200);

    public static async Task<IAsyncDisposable> AcquireAsync(DashboardDbContext db, string storePath, ILogger logger, CancellationToken ct)
    {
        var file = await OpenExclusiveAsync(storePath + ".migrate-lock", ct);
        try
        {
            var stale = await db.Database.SqlQueryRaw<long>(
                """SELECT count(*) AS "Value" FROM sqlite_master WHERE type = 'table' AND name = '__EFMigrationsLock'""").SingleAsync(ct) > 0
                && await db.Database.ExecuteSqlRawAsync("""DELETE FROM "__EFMigrationsLock" """, ct) > 0;
            if (stale) logger.LogWarning("Removed the migration lock left by a start that was stopped while it migrated the store");
            return file;
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    /// <summary>Opens the file with no sharing (an exclusive lock on Unix and Windows), waiting while another start holds it.</summary>
    private static async Task<FileStream> OpenExclusiveAsync(string path, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (!ct.IsCancellationRequested)
            {
                await Task.Delay(Pause, ct);
            }
        }
    }
}
