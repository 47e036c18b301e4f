using Dashboard.Data;
using Dashboard.Rollups;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Ingest;

/// <summary>
/// Identity stitching: an anonymous identity merged into a user becomes the user everywhere. Its
/// events are moved to the user (earlier ones included), so every metric, which counts by the
/// events' identity, counts them as the user's; the rollups are corrected in the same transaction
/// (the moved events leave the anonymous identity's rows and join the user's, previous-day links
/// and packed timestamps included), so answers stay exact whatever the rollup job has folded. A
/// first exposure to an experiment is the earlier of the two. The user keeps their traits, taking
/// the anonymous identity's where they have none, and their account, else the anonymous one's; the
/// anonymous row stays with <c>MergedInto</c>, so later events under its key go to the user.
/// </summary>
public static class IdentityMerge
{
    /// <summary>Why <paramref name="source"/> may not merge into <paramref name="target"/>; null when it may (or already has).</summary>
    public static string? Refusal(string sourceKey, bool sourceKnown, long? sourceMergedInto, long target) =>
        sourceMergedInto is { } into && into != target ? $"the anonymous id '{Cut(sourceKey)}' is already merged into another user; an anonymous id merges into one user only"
        : sourceMergedInto is null && sourceKnown ? $"'{Cut(sourceKey)}' is a known userId; two userIds are never merged"
        : null;

    private static string Cut(string key) => key.Length <= 64 ? key : key[..64] + "…";

    /// <summary>Merges <paramref name="source"/> into <paramref name="target"/> in the caller's write transaction.</summary>
    public static async Task MergeAsync(DashboardDbContext db, long source, long target, CancellationToken ct)
    {
        var watermark = await Rollup.WatermarkAsync(db, ct);
        // The moved events the rollups hold: taken out under the old identity, put back under the new.
        await Rollup.ExecAsync(db, ct, """CREATE TEMP TABLE IF NOT EXISTS "MergedEvents" ("Id" INTEGER PRIMARY KEY)""");
        await Rollup.ExecAsync(db, ct, """DELETE FROM temp."MergedEvents" """);
        await Rollup.ExecAsync(db, ct, $"""INSERT INTO temp."MergedEvents" ("Id") SELECT "Id" FROM "Events" WHERE "UserId" = {source} AND "Id" <= {watermark}""");
        const string moved = """e."Id" IN (SELECT "Id" FROM temp."MergedEvents")""";
        await Rollup.ApplyAsync(db, moved, -1, ct);
        await Rollup.ExecAsync(db, ct, $"""UPDATE "Events" SET "UserId" = {target} WHERE "UserId" = {source}""");
        await Rollup.ApplyAsync(db, moved, 1, ct);

        // One first exposure per experiment: the earlier of the two identities' (the lower id on a tie).
        await Rollup.ExecAsync(db, ct, $"""
            DELETE FROM "Exposures" WHERE "UserId" IN ({source}, {target}) AND EXISTS (
              SELECT 1 FROM "Exposures" AS y WHERE y."ExperimentKey" = "Exposures"."ExperimentKey"
                AND y."UserId" IN ({source}, {target}) AND y."UserId" <> "Exposures"."UserId"
                AND (y."Timestamp" < "Exposures"."Timestamp" OR (y."Timestamp" = "Exposures"."Timestamp" AND y."Id" < "Exposures"."Id")))
            """);
        await Rollup.ExecAsync(db, ct, $"""UPDATE "Exposures" SET "UserId" = {target} WHERE "UserId" = {source}""");

        var users = await db.TrackedUsers.Where(u => u.Id == source || u.Id == target).ToDictionaryAsync(u => u.Id, ct);
        var (from, to) = (users[source], users[target]);
        to.FirstSeen = Math.Min(from.FirstSeen, to.FirstSeen);
        to.LastSeen = Math.Max(from.LastSeen, to.LastSeen);
        to.Traits = JsonText.Patch(from.Traits, to.Traits);
        to.AccountId ??= from.AccountId;
        from.MergedInto = target;
        await db.SaveChangesAsync(ct);
    }
}
