using System.Globalization;
using System.Net;
using Dashboard.Rollups;
using Dashboard.Tests.Ingest;
using Microsoft.Data.Sqlite;

namespace Dashboard.Tests.Operations;

/// <summary>
/// What the crash and upgrade tests load and compare: a data set sent through the ingest API
/// (sign-ups, feature use and app opens on many days, with times on day boundaries, traits,
/// accounts, anonymous events merged into their user by identify, and items for the quarantine),
/// the insight answers read over HTTP, and the rollups checked row by row against the raw events.
/// </summary>
internal static class StoreAnswers
{
    public const int Days = 28;

    /// <summary>The insight requests whose answers are compared, over the data set's days.</summary>
    public static IReadOnlyList<string> Paths(DateOnly last)
    {
        var range = $"from={last.AddDays(1 - Days):yyyy-MM-dd}&to={last:yyyy-MM-dd}";
        var week = $"from={last.AddDays(-6):yyyy-MM-dd}&to={last:yyyy-MM-dd}";
        return
        [
            $"/api/insights/activity?{range}&interval=day",
            $"/api/insights/activity?{range}&interval=week",
            $"/api/insights/activity?{week}&interval=day",
            $"/api/insights/features?{range}",
            $"/api/insights/features?{week}",
            $"/api/insights/retention?{range}",
            $"/api/insights/retention?{range}&breakdown=plan",
            $"/api/insights/activation?{range}&activation=FEATURE_ENGAGED&within=7d",
            $"/api/insights/funnel?steps=USER_REGISTERED,FEATURE_ENGAGED,APP_OPENED&window=14d&{range}",
            $"/api/insights/funnel?steps=APP_OPENED,FEATURE_ENGAGED&window=3d&{range}&breakdown=plan",
            $"/api/insights/trends?event=FEATURE_ENGAGED&measure=users&interval=day&{range}&breakdown=featureName",
            $"/api/insights/trends?event=APP_OPENED&measure=total&interval=week&{range}",
        ];
    }

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

    /// <summary>
    /// The data set as ingest request bodies for the <see cref="Days"/> days ending with
    /// <paramref name="last"/>: the same for the same arguments.
    /// </summary>
    public static List<object> Batches(string prefix, DateOnly last, int users, int seed = 7)
    {
        var random = new Random(seed);
        var first = last.AddDays(1 - Days).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        string At(int day, int second) => first.AddDays(day).AddSeconds(second).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        // Some events on the first and last second of a day.
        int Second() => random.Next(5) switch { 0 => 0, 1 => 86_399, _ => random.Next(86_400) };
        var items = new List<object>();
        for (var u = 0; u < users; u++)
        {
            var user = $"{prefix}-u{u}";
            var signup = random.Next(Days - 3);
            var plan = u % 3 == 0 ? "premium" : "free";
            items.Add(new { type = "identify", userId = user, traits = new { plan, email = $"{user}@example.com" }, timestamp = At(signup, 0) });
            if (u % 4 == 0) items.Add(new { type = "group", userId = user, groupId = $"{prefix}-acct{u % 3}", traits = new { plan = "enterprise" }, timestamp = At(signup, 1) });
            if (u % 5 == 0)
            {
                // Browsing before signing up, then merged into the user.
                var anonymous = $"{prefix}-anon{u}";
                items.Add(new { @event = "APP_OPENED", anonymousId = anonymous, properties = new { platform = "web" }, timestamp = At(Math.Max(0, signup - 1), Second()) });
                items.Add(new { type = "identify", userId = user, anonymousId = anonymous, timestamp = At(signup, 2) });
            }
            items.Add(new { @event = "USER_REGISTERED", userId = user, properties = new { referralSource = "search", planType = plan }, timestamp = At(signup, Second()) });
            for (var day = signup; day < Days; day++)
            {
                if (random.Next(3) == 0) continue;
                for (var k = random.Next(1, 4); k > 0; k--)
                    items.Add(random.Next(3) == 0
                        ? new { @event = "APP_OPENED", userId = user, properties = (object)new { platform = "ios" }, timestamp = At(day, Second()) }
                        : new { @event = "FEATURE_ENGAGED", userId = user, properties = (object)new { featureName = $"feature{random.Next(4)}", clickTarget = "button" }, timestamp = At(day, Second()) });
            }
            if (u % 7 == 0) items.Add(new { @event = "NOT_IN_TAXONOMY", userId = user, timestamp = At(signup, 3) });
        }
        // Sent in an order that is not the events' time order, as clients do.
        return [.. items.Select((item, i) => (item, key: random.Next())).OrderBy(x => x.key).Select(x => x.item)
            .Chunk(100).Select(chunk => (object)new { batch = chunk })];
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
