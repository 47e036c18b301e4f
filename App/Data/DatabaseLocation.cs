using Microsoft.Data.Sqlite;

namespace Dashboard.Data;

/// <summary>
/// The SQLite connection string from <c>ConnectionStrings:Dashboard</c>, with a relative file
/// path resolved against the working directory and its folder created.
/// </summary>
public sealed class DatabaseLocation
{
    public DatabaseLocation(IConfiguration configuration)
    {
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
}
