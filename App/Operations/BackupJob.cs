using System.Globalization;
using Dashboard.Data;

namespace Dashboard.Operations;

/// <summary>Settings under <c>Backup</c>.</summary>
public sealed class BackupOptions
{
    /// <summary>The daily backup job runs (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Where the daily copies go; relative paths are against the store's folder (default <c>backups</c>).</summary>
    public string Directory { get; set; } = "backups";

    /// <summary>How many daily copies are kept (default 7); older ones are deleted after a new one is written.</summary>
    public int Keep { get; set; } = 7;

    /// <summary>The UTC hour of the daily run (default 2).</summary>
    public int HourUtc { get; set; } = 2;
}

/// <summary>
/// The daily backup: a consistent copy of the store (<see cref="StoreBackup"/>) named
/// <c>dashboard-YYYYMMDD-HHMMSS.db</c> in <see cref="BackupOptions.Directory"/>, keeping the newest
/// <see cref="BackupOptions.Keep"/>.
/// </summary>
public sealed class BackupJob(DatabaseLocation store, Microsoft.Extensions.Options.IOptions<BackupOptions> options, TimeProvider clock,
    ILogger<BackupJob> logger)
{
    public const string Id = "backup";
    private const string Prefix = "dashboard-";

    public string Folder => Path.IsPathRooted(options.Value.Directory)
        ? options.Value.Directory
        : Path.Combine(Path.GetDirectoryName(store.FilePath) ?? ".", options.Value.Directory);

    /// <summary>Writes one copy and prunes the old ones; returns the new copy's path.</summary>
    public async Task<string> RunAsync(CancellationToken ct)
    {
        var name = $"{Prefix}{clock.GetUtcNow().UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}.db";
        var path = Path.Combine(Folder, name);
        var bytes = await StoreBackup.WriteAsync(store.ConnectionString, path, ct);
        logger.LogInformation("Backup written to {Path} ({Bytes} bytes)", path, bytes);
        // Names sort by time, so the newest are last.
        var old = System.IO.Directory.EnumerateFiles(Folder, Prefix + "*.db").Order(StringComparer.Ordinal).ToList();
        foreach (var file in old.Take(Math.Max(0, old.Count - Math.Max(1, options.Value.Keep))))
            File.Delete(file);
        return path;
    }
}
