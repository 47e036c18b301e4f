using Dashboard.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Dashboard.Rollups;

/// <summary>
/// The per-day rollups and how they are kept. <c>UserDays</c> holds one row per identity and UTC day
/// with its event count and the identity's previous active day; <c>FeatureUserDays</c> the same per
/// feature name for FEATURE_ENGAGED. With the previous day, distinct users over a run of days
/// [a, b] is the number of rows in it whose previous day is null or before a: each user's first
/// row inside the run, so counts need no de-duplication. The rollup job folds events in by rowid
/// up to a watermark; a reader adds the events above the watermark (the tail) from the Events
/// table, so every answer equals the count over the raw events at the moment it is read.
/// Range counts read <c>UserDayCounts</c> and <c>FeatureDayCounts</c>, the rollups grouped by day
/// and previous day, which triggers on the two tables keep equal to that GROUP BY: a day costs a
/// row per distinct previous day instead of a row per user. The tail changes them only where it
/// brings a day new to the rollup (see <see cref="TailDelta"/>), so a reader adds just those
/// changes: its cost follows the tail's new days, not the history of the identities in it.
/// </summary>
public static class Rollup
{
    public const string StateName = "events";

    /// <summary>The previous day stored in the count tables for a first day (no previous day).</summary>
    public const long FirstDay = -1;

    /// <summary>Stored for a FEATURE_ENGAGED event without a featureName (shown as "(none)").</summary>
    public const string NoFeature = JsonText.None;

    /// <summary>The SQL of a day number from a Unix-millisecond timestamp column.</summary>
    internal static string Day(string column) => $"{column} / {UtcCalendar.DayMs}";

    /// <summary>How many connections a query cut in parts reads on at once: one per core, at most 8.</summary>
    internal static int ReadWorkers => Math.Clamp(Environment.ProcessorCount, 1, 8);

    internal const string Watermark = """SELECT COALESCE(MAX("Watermark"), 0) AS "Id" FROM "RollupState" """;

    /// <summary>
    /// Common table expressions for what the events above the watermark would change in a rollup
    /// (<c>UserDays</c>, or <c>FeatureUserDays</c> with <paramref name="feature"/>) if it were folded
    /// in now, for the days [<paramref name="fromDay"/>, <paramref name="toDay"/>]:
    /// <c>te</c> (the tail's events in those days: key columns and "Day"), <c>nd</c> (each day new to
    /// the rollup: its key, "Day" and "Prev", its previous day among the rollup's and the other new
    /// days, -1 for none) and <c>mv</c> (each rollup row in the days whose previous day a new day
    /// replaces: key, "Day", "OldPrev", "NewPrev"). A new day outside the days cannot change whether
    /// a row inside them is its key's first since a day inside them, so only these are needed.
    /// </summary>
    internal static string TailDelta(bool feature, long fromDay, long toDay)
    {
        var table = feature ? "FeatureUserDays" : "UserDays";
        string[] keys = feature ? ["UserId", "Feature"] : ["UserId"];
        string Same(string a, string b) => string.Join(" AND ", keys.Select(k => $"{a}.\"{k}\" = {b}.\"{k}\""));
        string Cols(string a) => string.Join(", ", keys.Select(k => $"{a}.\"{k}\""));
        var source = feature ? $"""e."UserId", {FeatureOf} AS "Feature" """ : """e."UserId" """;
        var condition = feature ? $" AND {IsFeatureEvent}" : "";
        var (fromMs, endMs) = (fromDay * UtcCalendar.DayMs, (toDay + 1) * UtcCalendar.DayMs);
        return $"""
            w AS ({Watermark}),
            te AS MATERIALIZED (SELECT {source}, e."Timestamp" / {UtcCalendar.DayMs} AS "Day" FROM "Events" AS e, w
                                WHERE e."Id" > w."Id"{condition} AND +e."Timestamp" >= {fromMs} AND +e."Timestamp" < {endMs}),
            nk AS MATERIALIZED (SELECT {Cols("k")}, k."Day" FROM (SELECT DISTINCT {Cols("d")}, d."Day" FROM te AS d) AS k
                                WHERE NOT EXISTS (SELECT 1 FROM "{table}" AS r WHERE {Same("r", "k")} AND r."Day" = k."Day")),
            nd AS MATERIALIZED (
                SELECT {Cols("k")}, k."Day",
                       MAX(COALESCE((SELECT MAX(r."Day") FROM "{table}" AS r WHERE {Same("r", "k")} AND r."Day" < k."Day"), {FirstDay}),
                           COALESCE((SELECT MAX(k2."Day") FROM nk AS k2 WHERE {Same("k2", "k")} AND k2."Day" < k."Day"), {FirstDay})) AS "Prev",
                       (SELECT MIN(r."Day") FROM "{table}" AS r WHERE {Same("r", "k")} AND r."Day" > k."Day") AS "Next"
                FROM nk AS k),
            mv AS MATERIALIZED (SELECT {Cols("n")}, n."Next" AS "Day", MAX(n."Day") AS "NewPrev",
                          (SELECT COALESCE(r."PrevDay", {FirstDay}) FROM "{table}" AS r WHERE {Same("r", "n")} AND r."Day" = n."Next") AS "OldPrev"
                   FROM nd AS n WHERE n."Next" <= {toDay}
                   GROUP BY {Cols("n")}, n."Next")
            """;
    }

    // json_extract is SQLite's JSON accessor (PostgreSQL: CAST("Properties" AS jsonb) ->> 'featureName').
    internal const string FeatureOf = $"""COALESCE(CAST(json_extract(e."Properties", '$.featureName') AS TEXT), '{NoFeature}')""";

    /// <summary>The event whose featureName <c>FeatureUserDays</c> keeps: the feature engagement event of the taxonomy.</summary>
    public const string FeatureEvent = "FEATURE_ENGAGED";

    /// <summary>
    /// "Is a FEATURE_ENGAGED event", for conditions that also bound the rowid: the concatenation keeps
    /// the planner on the rowid range instead of the Name index, which would visit every such event.
    /// </summary>
    internal const string IsFeatureEvent = $"""e."Name" || '' = '{FeatureEvent}'""";

    /// <summary>
    /// Starts a read transaction whose statements all see one snapshot (rollups, watermark and
    /// tail from the same commit). Deferred, so it never takes the write lock.
    /// </summary>
    public static async Task<IDbContextTransaction> BeginSnapshotAsync(DashboardDbContext db, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        var tx = ((SqliteConnection)db.Database.GetDbConnection()).BeginTransaction(deferred: true);
        return await db.Database.UseTransactionAsync(tx, ct) ?? throw new InvalidOperationException("no transaction");
    }

    /// <summary>
    /// Adds (<paramref name="sign"/> = 1) or removes (-1) the events selected by
    /// <paramref name="events"/> (a condition on <c>Events AS e</c>) in the day rollups and in
    /// <see cref="EventTimes"/>, bringing the previous-day links back in line. Only rows whose link
    /// can change are touched: the days that
    /// appeared or disappeared, and the next day of each (a late event landing between two days).
    /// Each is an index seek, so the cost follows the events folded in, not the history. Runs in
    /// the caller's transaction.
    /// </summary>
    public static async Task ApplyAsync(DashboardDbContext db, string events, int sign, CancellationToken ct)
    {
        await ApplyAsync(db, events, sign, "UserDays", ["UserId"], ct);
        await ApplyAsync(db, $"""{events} AND {IsFeatureEvent}""", sign, "FeatureUserDays", ["UserId", "Feature"], ct);
        await EventTimes.ApplyAsync(db, events, sign, ct);
        if (sign < 0)
        {
            // Removing events can empty every count of a feature; the emptied rows would still name
            // it, so rows left at zero go.
            await ExecAsync(db, ct, """DELETE FROM "UserDayCounts" WHERE "Users" = 0 AND "Events" = 0""");
            await ExecAsync(db, ct, """DELETE FROM "FeatureDayCounts" WHERE "Users" = 0 AND "Events" = 0""");
        }
    }

    private static async Task ApplyAsync(DashboardDbContext db, string events, int sign, string table, string[] keys, CancellationToken ct)
    {
        // The event-side expressions of the key columns, and the column lists.
        var sources = keys.Select(k => k == "UserId" ? """e."UserId" """ : FeatureOf).Append(Day("""e."Timestamp" """)).ToArray();
        var source = string.Join(", ", sources);
        var columns = string.Join(", ", keys.Append("Day").Select(k => $"\"{k}\""));
        string Same(string a, string b, params string[] cols) => string.Join(" AND ", cols.Select(k => $"{a}.\"{k}\" = {b}.\"{k}\""));
        var byOwner = keys; // the rows of one identity (and feature), across days
        var all = keys.Append("Day").ToArray();
        var owner = string.Join(", ", keys.Select(k => $"k.\"{k}\""));
        var matchEvent = string.Join(" AND ", all.Zip(sources, (k, v) => $"r.\"{k}\" = {v}"));

        await ExecAsync(db, ct, """CREATE TEMP TABLE IF NOT EXISTS "RollupKeys" ("UserId" INTEGER, "Feature" TEXT, "Day" INTEGER)""");
        await ExecAsync(db, ct, """DELETE FROM temp."RollupKeys" """);
        if (sign > 0)
        {
            // Days new to the rollup.
            await ExecAsync(db, ct, $"""
                INSERT INTO temp."RollupKeys" ({columns})
                SELECT DISTINCT {source} FROM "Events" AS e
                WHERE {events} AND NOT EXISTS (SELECT 1 FROM "{table}" AS r WHERE {matchEvent})
                """);
        }
        await ExecAsync(db, ct, $"""
            INSERT INTO "{table}" ({columns}, "Events", "PrevDay")
            SELECT {source}, {sign} * COUNT(*), NULL FROM "Events" AS e WHERE {events}
            GROUP BY {source}
            ON CONFLICT ({columns}) DO UPDATE SET "Events" = "{table}"."Events" + excluded."Events"
            """);
        if (sign < 0)
        {
            // Days left without events leave the rollup.
            var touched = $"""SELECT e."UserId" FROM "Events" AS e WHERE {events}""";
            await ExecAsync(db, ct, $"""
                INSERT INTO temp."RollupKeys" ({columns})
                SELECT {columns} FROM "{table}" WHERE "Events" <= 0 AND "UserId" IN ({touched})
                """);
            await ExecAsync(db, ct, $"""DELETE FROM "{table}" WHERE "Events" <= 0 AND "UserId" IN ({touched})""");
        }
        // The next day after each changed day: its previous day may have moved.
        await ExecAsync(db, ct, $"""
            INSERT INTO temp."RollupKeys" ({columns})
            SELECT * FROM (SELECT {owner}, (SELECT MIN(x."Day") FROM "{table}" AS x
                                            WHERE {Same("x", "k", byOwner)} AND x."Day" > k."Day") AS "Next"
                           FROM temp."RollupKeys" AS k) AS n
            WHERE n."Next" IS NOT NULL
            """);
        await ExecAsync(db, ct, $"""
            UPDATE "{table}" SET "PrevDay" = k."Prev"
            FROM (SELECT DISTINCT {owner}, k."Day", (SELECT MAX(p."Day") FROM "{table}" AS p
                                                     WHERE {Same("p", "k", byOwner)} AND p."Day" < k."Day") AS "Prev"
                  FROM temp."RollupKeys" AS k) AS k
            WHERE {Same($"\"{table}\"", "k", all)}
            """);
    }

    /// <summary>When the oldest event the rollups have not folded came in (Unix ms); null when none waits.</summary>
    public static async Task<long?> OldestUnfoldedAsync(DashboardDbContext db, CancellationToken ct)
    {
        var watermark = await WatermarkAsync(db, ct);
        return await db.Events.Where(e => e.Id > watermark).OrderBy(e => e.Id).Select(e => (long?)e.ReceivedAt).FirstOrDefaultAsync(ct);
    }

    public static async Task<long> WatermarkAsync(DashboardDbContext db, CancellationToken ct) =>
        (await db.RollupState.AsNoTracking().FirstOrDefaultAsync(s => s.Name == StateName, ct))?.Watermark ?? 0;

    public static Task SetWatermarkAsync(DashboardDbContext db, long watermark, CancellationToken ct) =>
        db.Database.ExecuteSqlAsync($"""
            INSERT INTO "RollupState" ("Name", "Watermark") VALUES ({StateName}, {watermark})
            ON CONFLICT ("Name") DO UPDATE SET "Watermark" = excluded."Watermark"
            """, ct);

    /// <summary>SQL built only from constants and computed integers (no input text), so it is run as raw SQL.</summary>
    internal static string Sql(string sql) => sql;

    /// <summary>Runs SQL built only from constants and integers in the caller's transaction.</summary>
    internal static Task<int> ExecAsync(DashboardDbContext db, CancellationToken ct, string sql) =>
#pragma warning disable EF1002 // only constants and integers are spliced into the SQL
        db.Database.ExecuteSqlRawAsync(sql, ct);
#pragma warning restore EF1002

    public sealed class BucketRow
    {
        /// <summary>The range's index in the request (see <see cref="ActiveUsersAsync(DashboardDbContext, IReadOnlyList{BucketRange}, CancellationToken)"/>).</summary>
        public int Range { get; set; }
        public long Bucket { get; set; }
        public int Users { get; set; }
        public long Events { get; set; }
    }

    /// <summary>Days [FromDay, ToDay] cut in buckets of SizeDays days numbered from OriginDay.</summary>
    public readonly record struct BucketRange(long FromDay, long ToDay, long OriginDay, long SizeDays);

    /// <summary>
    /// Distinct active identities and events per bucket of <paramref name="sizeDays"/> days, buckets
    /// numbered from <paramref name="originDay"/>, over the days [<paramref name="fromDay"/>,
    /// <paramref name="toDay"/>] (a bucket cut by the range counts only the days inside it).
    /// One statement, so one snapshot.
    /// </summary>
    public static Task<List<BucketRow>> ActiveUsersAsync(DashboardDbContext db, long fromDay, long toDay, long originDay, long sizeDays,
        CancellationToken ct) =>
        ActiveUsersAsync(db, [new BucketRange(fromDay, toDay, originDay, sizeDays)], ct);

    /// <summary>
    /// The same for several ranges in one statement: what the events above the watermark change is
    /// worked out once, over the span of the ranges, and each range takes its days of it (a new day
    /// outside a range changes nothing inside it: it can only replace a previous day that was
    /// before the range already). Rows carry their range's index.
    /// </summary>
    public static Task<List<BucketRow>> ActiveUsersAsync(DashboardDbContext db, IReadOnlyList<BucketRange> ranges, CancellationToken ct)
    {
        var parts = ranges.Select((r, i) =>
        {
            // A row is its user's first in the bucket's part of the range when the previous active day is
            // before that part's first day: before `from`, or before the bucket's first day (a first day
            // ever is stored as -1, before every day).
            string First(string prev) => $"""({prev} < {r.FromDay} OR {prev} < {r.OriginDay} + ("Day" - {r.OriginDay}) / {r.SizeDays} * {r.SizeDays})""";
            var bucket = $"""("Day" - {r.OriginDay}) / {r.SizeDays}""";
            var days = $"""("Day" >= {r.FromDay} AND "Day" <= {r.ToDay})""";
            var (prevDay, prev, newPrev, oldPrev) = (First("\"PrevDay\""), First("\"Prev\""), First("\"NewPrev\""), First("\"OldPrev\""));
            // The counts as they are, plus what the tail changes: its new days, the rows whose
            // previous day they replace, and its events.
            return $"""
                SELECT {i} AS "Range", {bucket} AS "Bucket", SUM(CASE WHEN {prevDay} THEN "Users" ELSE 0 END) AS "Users",
                       SUM("Events") AS "Events"
                FROM "UserDayCounts" WHERE {days}
                GROUP BY "Day"
                UNION ALL
                SELECT {i}, {bucket}, SUM(CASE WHEN {prev} THEN 1 ELSE 0 END), 0 FROM nd WHERE {days} GROUP BY 2
                UNION ALL
                SELECT {i}, {bucket}, SUM((CASE WHEN {newPrev} THEN 1 ELSE 0 END) - (CASE WHEN {oldPrev} THEN 1 ELSE 0 END)), 0
                FROM mv WHERE {days} GROUP BY 2
                UNION ALL
                SELECT {i}, {bucket}, 0, COUNT(*) FROM te WHERE {days} GROUP BY 2
                """;
        });
        return db.Database.SqlQueryRaw<BucketRow>(Sql($"""
            WITH {TailDelta(false, ranges.Min(r => r.FromDay), ranges.Max(r => r.ToDay))}
            SELECT "Range", "Bucket", SUM("Users") AS "Users", SUM("Events") AS "Events" FROM (
            {string.Join("\nUNION ALL\n", parts)}
            ) AS parts
            GROUP BY "Range", "Bucket"
            """)).ToListAsync(ct);
    }
}
