using System.Data.Common;

namespace Dashboard.Analytics;

/// <summary>Reads of one event name's time range straight from the covering (Name, Timestamp, UserId) index.</summary>
internal static class EventRanges
{
    /// <summary>
    /// A command for "UserId", "Timestamp", "Id" (and "Properties" with
    /// <paramref name="withProperties"/>, which costs a row lookup each) of the events named
    /// <paramref name="name"/> with their timestamp in [<paramref name="fromMs"/>,
    /// <paramref name="endMs"/>), in index order: by timestamp, then user, then storage order, with
    /// no sort. Read it with a plain synchronous loop: SQLite answers from memory or the page cache,
    /// and an asynchronous read per row costs more than the row. With a null <paramref name="name"/>,
    /// the events of every name by timestamp, then id (the timestamp index's order: per user still
    /// timestamp then storage order, with no sort). With a <paramref name="cohort"/>, only its members' events.
    /// </summary>
    public static DbCommand Command(DbConnection connection, string? name, long fromMs, long endMs, bool withProperties = false, string? cohort = null)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = $"""
            SELECT "UserId", "Timestamp", "Id"{(withProperties ? ", \"Properties\"" : "")} FROM "Events"
            WHERE {(name is null ? "" : "\"Name\" = $name AND ")}"Timestamp" >= $from AND "Timestamp" < $end{Cohorts.CohortFilter.Sql(cohort)}
            ORDER BY {(name is null ? "\"Timestamp\", \"Id\"" : "\"Name\", \"Timestamp\", \"UserId\", \"Id\"")}
            """;
        if (name is not null) Add(cmd, "$name", name);
        Add(cmd, "$from", fromMs);
        Add(cmd, "$end", endMs);
        if (cohort is not null) Add(cmd, Cohorts.CohortFilter.Parameter, cohort);
        return cmd;
    }

    public static void Add(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }
}
