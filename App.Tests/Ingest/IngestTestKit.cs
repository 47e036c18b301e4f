using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dashboard.Tests.TestSupport;
using Microsoft.Data.Sqlite;

namespace Dashboard.Tests.Ingest;

public sealed record IngestReply(int Accepted, int Duplicates, List<ItemReply> Rejected);

public sealed record ItemReply(int Index, string Error, string Code);

public sealed record StoredEvent(string MessageId, string Name, string UserKey, long Timestamp, long ReceivedAt, string Properties);

public sealed record StoredQuarantine(long Id, long ReceivedAt, string? EventName, string Reason, string Payload, long? ReplayedAt);

/// <summary>Helpers shared by the ingest tests: request bodies, and reads straight from the SQLite file.</summary>
internal static class IngestTestKit
{
    /// <summary>Starts the application (migrations, seeding, writer) before the test's first request.</summary>
    public static DashboardFactory Started(this DashboardFactory factory)
    {
        factory.StartServer();
        return factory;
    }

    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>Now, cut to whole milliseconds, the precision the store keeps.</summary>
    public static DateTimeOffset NowMs() => DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static Task<HttpResponseMessage> PostRawAsync(this HttpClient client, string path, string json) =>
        client.PostAsync(path, Json(json));

    public static Task<HttpResponseMessage> PostObjectAsync(this HttpClient client, string path, object body) =>
        client.PostAsync(path, Json(JsonSerializer.Serialize(body)));

    public static async Task<IngestReply> ReadReplyAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<IngestReply>(text, JsonSerializerOptions.Web)!;
    }

    public static AuthenticationHeaderValue Basic(string username) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(username + ":")));

    /// <summary>A valid FEATURE_ENGAGED event for the seeded taxonomy.</summary>
    public static Dictionary<string, object?> Feature(string messageId, string? userId = null, string feature = "search") => new()
    {
        ["event"] = "FEATURE_ENGAGED",
        ["userId"] = userId ?? "user-" + messageId,
        ["messageId"] = messageId,
        ["properties"] = new Dictionary<string, object?> { ["featureName"] = feature, ["clickTarget"] = "button" },
    };

    private static SqliteConnection Open(string databasePath)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false, Mode = SqliteOpenMode.ReadWrite }.ToString());
        connection.Open();
        return connection;
    }

    public static List<StoredEvent> EventsWhere(string databasePath, string where, params (string Name, object Value)[] args)
    {
        using var connection = Open(databasePath);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"""
            SELECT e.MessageId, e.Name, u.Key, e.Timestamp, e.ReceivedAt, e.Properties
            FROM Events e JOIN Users u ON u.Id = e.UserId
            WHERE {where} ORDER BY e.Id
            """;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        using var reader = cmd.ExecuteReader();
        var rows = new List<StoredEvent>();
        while (reader.Read())
            rows.Add(new StoredEvent(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetString(5)));
        return rows;
    }

    public static List<StoredEvent> EventsByMessageId(this DashboardFactory factory, string messageId) =>
        EventsWhere(factory.DatabasePath, "e.MessageId = $m", ("$m", messageId));

    public static List<StoredEvent> EventsByUser(this DashboardFactory factory, string userKey) =>
        EventsWhere(factory.DatabasePath, "u.Key = $k", ("$k", userKey));

    public static StoredEvent SingleEvent(this DashboardFactory factory, string messageId) =>
        Assert.Single(factory.EventsByMessageId(messageId));

    /// <summary>Quarantine rows whose payload contains <paramref name="marker"/> (a unique id of the test).</summary>
    public static List<StoredQuarantine> QuarantineContaining(string databasePath, string marker)
    {
        using var connection = Open(databasePath);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT Id, ReceivedAt, EventName, Reason, Payload, ReplayedAt FROM Quarantine WHERE instr(Payload, $m) > 0 ORDER BY Id";
        cmd.Parameters.AddWithValue("$m", marker);
        using var reader = cmd.ExecuteReader();
        var rows = new List<StoredQuarantine>();
        while (reader.Read())
            rows.Add(new StoredQuarantine(reader.GetInt64(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetString(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetInt64(5)));
        return rows;
    }

    public static List<StoredQuarantine> QuarantineContaining(this DashboardFactory factory, string marker) =>
        QuarantineContaining(factory.DatabasePath, marker);

    public static string? UserTraits(this DashboardFactory factory, string userKey) => UserTraits(factory.DatabasePath, userKey);

    public static string? UserTraits(string databasePath, string userKey)
    {
        using var connection = Open(databasePath);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT Traits FROM Users WHERE Key = $k";
        cmd.Parameters.AddWithValue("$k", userKey);
        return cmd.ExecuteScalar() as string;
    }

    /// <summary>A connection of the test's own that holds the database's write lock until disposed.</summary>
    public static SqliteConnection HoldWriteLock(string databasePath)
    {
        var connection = new SqliteConnection($"Data Source={databasePath};Pooling=False");
        connection.Open();
        using var begin = connection.CreateCommand();
        begin.CommandText = "BEGIN IMMEDIATE";
        begin.ExecuteNonQuery();
        return connection;
    }

    public static long Count(string databasePath, string sql)
    {
        using var connection = Open(databasePath);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }
}
