using Microsoft.Data.Sqlite;

namespace Dashboard.Data;

/// <summary>
/// The SQLite connection string from <c>ConnectionStrings:Dashboard</c>, with a relative file
/// path resolved against the working directory and its folder created, and the store's size limit
/// <c>Database:MaxPageCount</c>, read afresh at each use so a changed configuration takes effect
/// without a restart.
/// </summary>
public sealed class DatabaseLocation
{
    private readonly IConfiguration _configuration;

    public DatabaseLocation(IConfiguration configuration)
    {
        _configuration = configuration;
        var builder = new SqliteConnectionStringBuilder(configuration.GetConnectionString("Dashboard") ?? "Data Source=data/dashboard.db");
        if (builder.DataSource is { Length: > 0 } path && path != ":memory:" && !path.StartsWith("file:", StringComparison.Ordinal))
        {
            builder.DataSource = Path.GetFullPath(path);
            Directory.CreateDirectory(Path.GetDirectoryName(builder.DataSource)!);
        }
        builder.Pooling = true;
        builder.DefaultTimeout = 30;
        ConnectionString = builder.ToString();
        FilePath = builder.DataSource;
    }

    public string ConnectionString { get; }
    public string FilePath { get; }

    /// <summary>The most pages the SQLite file may hold (<c>Database:MaxPageCount</c>); null: no limit.</summary>
    public long? MaxPageCount => _configuration.GetValue<long?>("Database:MaxPageCount") is > 0 and var pages ? pages : null;
}
