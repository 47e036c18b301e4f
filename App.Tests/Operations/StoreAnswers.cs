using System.Globalization;
using System.Net;
using Dashboard.Rollups;
using Dashboard.Tests.Ingest;
using Microsoft.Data.Sqlite;

namespace Dashboard.Tests.Operations;

/// <summary>
/// What the crash and upgrade tests compare: the insight answers to <see cref="StoreDataSet.Paths"/>
/// read over HTTP, and the rollups checked row by row against the raw events.
/// </summary>
internal static class StoreAnswers
{
    /// <summary>Each path's answer (status 200 required), as the text the server sent.</summary>
    public static async Task<SortedDictionary<string, string>> ReadAsync(HttpClient reader, IEnumerable<string> paths)
    {
        var answers = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            using var response = await reader.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
            answers[path] = body;
        }
        return answers;
    }

    public static async Task PostAllAsync(HttpClient writer, IEnumerable<object> batches)
    {
        foreach (var body in batches)
        {
            using var response = await writer.PostObjectAsync("/ingest", body);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"ingest answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static SqliteConnection Open(string databasePath)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    public static List<string> Rows(string databasePath, string sql)
    {
        using var connection = Open(databasePath);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
            rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture))));
        return rows;
    }

    public static long Watermark(string databasePath) => long.Parse(Rows(databasePath, "SELECT coalesce(max(Watermark), 0) FROM RollupState").Single());

    public static long MaxEventId(string databasePath) => long.Parse(Rows(databasePath, "SELECT coalesce(max(Id), 0) FROM Events").Single());

    /// <summary>
    /// The rollups hold every event exactly once: each (identity, day) row has the day's event
    /// count and the identity's previous active day, per feature too, and the count tables are
    /// their rollup grouped by day and previous day.
    /// </summary>
    public static void AssertRollupsEqualTheRawEvents(string databasePath)
    {
        var day = $"Timestamp / {UtcCalendar.DayMs}";
        var feature = $"coalesce(CAST(json_extract(Properties, '$.featureName') AS TEXT), '{Rollup.NoFeature}')";
        var users = Rows(databasePath, $"""
            SELECT UserId, Day, Events, LAG(Day) OVER (PARTITION BY UserId ORDER BY Day)
            FROM (SELECT UserId, {day} AS Day, count(*) AS Events FROM Events GROUP BY 1, 2) ORDER BY 1, 2
            """);
        Assert.NotEmpty(users);
        Assert.Equal(users, Rows(databasePath, "SELECT UserId, Day, Events, PrevDay FROM UserDays ORDER BY 1, 2"));
        var features = Rows(databasePath, $"""
            SELECT UserId, Feature, Day, Events, LAG(Day) OVER (PARTITION BY UserId, Feature ORDER BY Day)
            FROM (SELECT UserId, {feature} AS Feature, {day} AS Day, count(*) AS Events FROM Events
                  WHERE Name = '{Rollup.FeatureEvent}' GROUP BY 1, 2, 3) ORDER BY 1, 2, 3
            """);
        Assert.NotEmpty(features);
        Assert.Equal(features, Rows(databasePath, "SELECT UserId, Feature, Day, Events, PrevDay FROM FeatureUserDays ORDER BY 1, 2, 3"));
        Assert.Equal(
            Rows(databasePath, "SELECT Day, coalesce(PrevDay, -1), count(*), sum(Events) FROM UserDays GROUP BY 1, 2 ORDER BY 1, 2"),
            Rows(databasePath, "SELECT Day, PrevDay, Users, Events FROM UserDayCounts WHERE Users <> 0 OR Events <> 0 ORDER BY 1, 2"));
        Assert.Equal(
            Rows(databasePath, "SELECT Day, Feature, coalesce(PrevDay, -1), count(*), sum(Events) FROM FeatureUserDays GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"),
            Rows(databasePath, "SELECT Day, Feature, PrevDay, Users, Events FROM FeatureDayCounts WHERE Users <> 0 OR Events <> 0 ORDER BY 1, 2, 3"));
    }

    /// <summary>Empties every rollup (the state a rebuild starts from), so a server reads every event raw until its job folds them again.</summary>
    public static void EmptyRollups(string databasePath)
    {
        using var connection = Open(databasePath);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            BEGIN; DELETE FROM UserDays; DELETE FROM FeatureUserDays; DELETE FROM UserDayCounts; DELETE FROM FeatureDayCounts;
            DELETE FROM EventTimes; DELETE FROM RollupState; COMMIT;
            """;
        cmd.ExecuteNonQuery();
    }
}
