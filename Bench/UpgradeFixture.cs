using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dashboard.Tests.Operations;
using Dashboard.Setup;
using Microsoft.Data.Sqlite;

namespace Dashboard.Bench;

/// <summary>
/// Writes the upgrade test's fixture (<c>App.Tests/Fixtures/upgrade/</c>): a store made by this
/// release from the data set of <see cref="StoreDataSet"/> sent through its API (events, identify,
/// group and merge calls, quarantined items, flag changes and evaluations, the rollups folded),
/// compressed as <c>store.db.gz</c>, and <c>answers.json</c> with the insight answers it gave. The
/// next release's test starts on a copy, migrates it and must answer the same. Refresh at each
/// release: <c>dotnet run -c Release --project Bench -- fixture App.Tests/Fixtures/upgrade</c>.
/// </summary>
public static class UpgradeFixture
{
    private const string WriteKey = "wk_fixture_write", ReadKey = "rk_fixture_read", AdminKey = "ak_fixture_admin", ClientKey = "ck_fixture_client";

    /// <summary>The data set ends this many days before the fixture is made, so no answer still waits on a window that is open.</summary>
    public const int DaysBack = 15;

    public static async Task<int> RunAsync(string folder)
    {
        var work = Path.Combine(Path.GetTempPath(), $"dashboard-fixture-{Environment.ProcessId}");
        Directory.CreateDirectory(work);
        var db = Path.Combine(work, "store.db");
        var now = DateTimeOffset.UtcNow;
        var last = DateOnly.FromDateTime(now.UtcDateTime).AddDays(-DaysBack);
        var answers = new JsonObject();
        await using (var server = await ServerProcess.StartAsync(db, WriteKey, new Dictionary<string, string>
                     {
                         ["Auth__ApiKeys__1__Key"] = ReadKey, ["Auth__ApiKeys__1__Role"] = "read",
                         ["Auth__ApiKeys__2__Key"] = AdminKey, ["Auth__ApiKeys__2__Role"] = "admin",
                         ["Auth__ApiKeys__3__Key"] = ClientKey, ["Auth__ApiKeys__3__Role"] = "client",
                         ["Auth__AdminPassword"] = "Fixture-Admin-Pass-1",
                         ["Backup__Enabled"] = "false",
                     }))
        {
            HttpClient Client(string key) => new()
            {
                BaseAddress = server.BaseAddress,
                DefaultRequestHeaders = { Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key) },
            };
            using var writer = Client(WriteKey);
            foreach (var body in StoreDataSet.Batches("upgrade", last, users: 150))
                Ok(await writer.PostAsJsonAsync("/ingest", body));
            using var admin = Client(AdminKey);
            foreach (var percent in new[] { 50, 30 })
                Ok(await admin.PutAsJsonAsync("/api/flags/fixture_flag",
                    new { description = "made by the upgrade fixture", owner = "ops", enabled = true, rolloutPercent = percent }));
            using var client = Client(ClientKey);
            for (var u = 0; u < 40; u++)
                Ok(await client.PostAsJsonAsync("/ofrep/v1/evaluate/flags/new_onboarding_flow", new { context = new { targetingKey = $"upgrade-u{u}" } }));
            // The rollup job folds everything (every 15 s) and the evaluation counts are written (every 5 s).
            for (var i = 0; i < 120 && !(Scalar(db, "SELECT coalesce(max(Watermark), 0) FROM RollupState") == Scalar(db, "SELECT max(Id) FROM Events")
                                         && Scalar(db, "SELECT count(*) FROM FlagEvaluationCounts") > 0); i++)
                await Task.Delay(1_000);
            using var reader = Client(ReadKey);
            foreach (var path in StoreDataSet.Paths(last))
            {
                using var response = await reader.GetAsync(path);
                Ok(response);
                answers[path] = JsonNode.Parse(await response.Content.ReadAsStringAsync());
            }
        }
        // What only the pages write (a key made on the keys page, a saved funnel), through the same classes.
        var options = new Microsoft.EntityFrameworkCore.DbContextOptionsBuilder<Dashboard.Data.DashboardDbContext>();
        options.UseDashboardSqlite($"Data Source={db};Pooling=False");
        var dbFactory = new Microsoft.EntityFrameworkCore.Infrastructure.PooledDbContextFactory<Dashboard.Data.DashboardDbContext>(options.Options);
        await new Dashboard.Access.ApiKeyStore(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build(), dbFactory, TimeProvider.System)
            .CreateAsync("fixture reader", "read");
        await new Dashboard.Analytics.Funnels.SavedFunnels(dbFactory, TimeProvider.System)
            .SaveAsync("fixture funnel", "steps=USER_REGISTERED,FEATURE_ENGAGED&window=14d", "admin");
        using (var connection = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            connection.Open();
            using var compact = connection.CreateCommand();
            compact.CommandText = "PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA journal_mode=DELETE;";
            compact.ExecuteNonQuery();
        }
        Directory.CreateDirectory(folder);
        await using (var input = File.OpenRead(db))
        await using (var output = new GZipStream(File.Create(Path.Combine(folder, "store.db.gz")), CompressionLevel.SmallestSize))
            await input.CopyToAsync(output);
        var migrations = new List<string>();
        using (var connection = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT MigrationId FROM __EFMigrationsHistory ORDER BY MigrationId";
            using var rows = cmd.ExecuteReader();
            while (rows.Read()) migrations.Add(rows.GetString(0));
        }
        var fixture = new JsonObject
        {
            ["madeAt"] = now.ToString("O"),
            ["lastMigration"] = migrations[^1],
            ["answers"] = answers,
        };
        await File.WriteAllTextAsync(Path.Combine(folder, "answers.json"), fixture.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
        Console.WriteLine($"fixture written to {folder}: {new FileInfo(db).Length / 1024} KB store " +
                          $"({new FileInfo(Path.Combine(folder, "store.db.gz")).Length / 1024} KB compressed), {answers.Count} answers, last migration {migrations[^1]}");
        try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        return 0;
    }

    private static void Ok(HttpResponseMessage response)
    {
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Created))
            throw new InvalidOperationException($"{response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {response.Content.ReadAsStringAsync().Result}");
    }

    private static long Scalar(string db, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={db};Pooling=False;Mode=ReadOnly");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar() is long n ? n : 0;
    }
}
