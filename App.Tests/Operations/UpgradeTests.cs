using System.IO.Compression;
using System.Text.Json.Nodes;
using Dashboard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Tests.Operations;

/// <summary>
/// An upgrade from the previous release: <c>Fixtures/upgrade/store.db.gz</c> is a store that release
/// wrote (data in every table the product writes, rollups folded) and <c>answers.json</c> the insight
/// answers it gave. The current code starts on a copy over real Kestrel, applies its migrations,
/// and must give the same answers, at the same moment (its clock starts at the fixture's).
/// Refresh the fixture at each release, with that release's code:
/// <c>dotnet run -c Release --project Bench -- fixture App.Tests/Fixtures/upgrade</c>.
/// </summary>
public sealed class UpgradeTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "upgrade");

    /// <summary>The system's clock moved back (or on) to start at <paramref name="start"/>; timers are the system's.</summary>
    private sealed class ShiftedClock(DateTimeOffset start) : TimeProvider
    {
        private readonly TimeSpan _shift = start - System.GetUtcNow();

        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + _shift;
    }

    [Fact]
    public async Task Start_OnThePreviousReleasesStore_MigratesItAndAnswersWhatThatReleaseAnswered()
    {
        var fixture = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Folder, "answers.json")))!;
        var madeAt = DateTimeOffset.Parse(fixture["madeAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        var expected = fixture["answers"]!.AsObject();
        Assert.NotEmpty(expected);

        await using var factory = new DashboardFactory(kestrel: true, scheduleJobs: false, clock: new ShiftedClock(madeAt));
        await using (var input = new GZipStream(File.OpenRead(Path.Combine(Folder, "store.db.gz")), CompressionMode.Decompress))
        await using (var output = File.Create(factory.DatabasePath))
            await input.CopyToAsync(output);
        var before = StoreAnswers.Rows(factory.DatabasePath, "SELECT MigrationId FROM __EFMigrationsHistory ORDER BY MigrationId");
        Assert.Equal(fixture["lastMigration"]!.GetValue<string>(), before[^1]);

        using var reader = factory.CreateIngestClient(DashboardFactory.ReadKey);
        var answers = await StoreAnswers.ReadAsync(reader, expected.Select(a => a.Key));

        // Every migration of this release is applied, and the data of every table the product writes is still there.
        await using (var db = factory.CreateDbContext())
            Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        foreach (var table in new[]
                 {
                     "Events", "Users", "Accounts", "Quarantine", "EventStats", "EventDefinitions", "Flags", "FlagAudit", "FlagEvaluationCounts",
                     "Experiments", "Exposures", "ApiKeys", "SavedFunnels", "AspNetUsers", "AspNetUserRoles",
                 })
            Assert.True(Dashboard.Tests.Ingest.IngestTestKit.Count(factory.DatabasePath, $"SELECT count(*) FROM \"{table}\"") > 0, $"{table} is empty after the upgrade");
        foreach (var (path, answer) in expected)
            Assert.True(Contains(JsonNode.Parse(answers[path]), answer), $"{path}\nbefore: {answer!.ToJsonString()}\nafter:  {answers[path]}");
    }

    /// <summary>
    /// Whether <paramref name="after"/> gives every value of <paramref name="before"/>: the same
    /// values in the same places. A field a later release adds to an answer is not a change of answer.
    /// </summary>
    internal static bool Contains(JsonNode? after, JsonNode? before) => (before, after) switch
    {
        (JsonObject b, JsonObject a) => b.All(p => a.ContainsKey(p.Key) && Contains(a[p.Key], p.Value)),
        (JsonArray b, JsonArray a) => b.Count == a.Count && b.Select((item, i) => Contains(a[i], item)).All(same => same),
        _ => JsonNode.DeepEquals(before, after),
    };

    [Fact]
    public void Contains_AFieldAddedOrAValueChanged_IsAcceptedOrRefused()
    {
        var before = JsonNode.Parse("""{"rows":[{"day":"2026-11-02","users":3}],"total":3}""");
        Assert.True(Contains(JsonNode.Parse("""{"rows":[{"day":"2026-11-02","users":3,"cohort":null}],"total":3,"extra":1}"""), before));
        Assert.False(Contains(JsonNode.Parse("""{"rows":[{"day":"2026-11-02","users":4}],"total":3}"""), before));
        Assert.False(Contains(JsonNode.Parse("""{"rows":[],"total":3}"""), before));
        Assert.False(Contains(JsonNode.Parse("""{"total":3}"""), before));
    }
}
