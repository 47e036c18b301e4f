using System.Text.Json.Serialization;
using Dashboard.Rollups;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Dashboard.Analytics.Retention;

public sealed record RetentionCohort(DateOnly Week, int Users, IReadOnlyList<double?> Retention);

/// <summary>The cohorts of the users whose breakdown value is <see cref="Value"/>.</summary>
public sealed record RetentionGroup(string Value, IReadOnlyList<RetentionCohort> Cohorts);

public sealed record RetentionResult(IReadOnlyList<RetentionCohort> Cohorts,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<RetentionGroup>? Breakdown = null);

/// <summary>
/// Weekly retention. A user's cohort is the ISO week (Monday start, UTC) of their first event ever;
/// the cohorts are the users whose first event falls in the inclusive days [from, to] (a week cut by
/// the range holds only the users who started inside it), one per week touching the range. Cell n
/// of a cohort = users of the cohort with at least one event in the n-th week after the cohort's
/// week / users of the cohort; cell 0 is therefore 1 for a non-empty cohort. Cells run from week 0
/// to the current week at now (a later event, up to the ingest's hour of clock skew, is ignored);
/// an empty cohort has null cells (cannot compute). With a breakdown (a trait of the user or of
/// their account; missing, or no account: "(none)") the same cohorts are also given per group of
/// users, the <see cref="BreakdownGroups.MaxGroups"/> groups with the most cohort users and "(other)".
/// </summary>
public sealed class RetentionQuery(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    public async Task<RetentionResult> RunAsync(DateOnly from, DateOnly to, CancellationToken ct = default) =>
        await RunAsync(from, to, null, ct);

    public async Task<RetentionResult> RunAsync(DateOnly from, DateOnly to, Breakdown? breakdown, CancellationToken ct = default)
    {
        var (fromDay, toDay) = (UtcCalendar.DayIndex(from), UtcCalendar.DayIndex(to));
        var currentWeek = UtcCalendar.WeekIndex(clock.GetUtcNow().ToUnixTimeMilliseconds());
        var horizonDay = ((currentWeek + 1) * UtcCalendar.WeekMs - UtcCalendar.WeekShiftMs) / UtcCalendar.DayMs;

        // Identities cut in one range per core (the last open-ended), each counted on its own
        // connection and merged: a user's days all sit in one range. With a breakdown the cells are
        // kept per user (Cell.User) until the users' values are known; without, all users are 0.
        long maxUser;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            maxUser = await db.TrackedUsers.MaxAsync(u => (long?)u.Id, ct) ?? 0;
        var parts = Rollup.ReadWorkers;
        var span = maxUser / parts + 1;
        var perUser = breakdown is not null;
        var counted = await Task.WhenAll(Enumerable.Range(0, parts).Select(i => Task.Run(() => CountAsync(
            i == 0 ? long.MinValue : i * span, i == parts - 1 ? long.MaxValue : (i + 1) * span - 1, fromDay, toDay, horizonDay, perUser, ct), ct)));
        var cells = new Dictionary<Cell, int>();
        foreach (var part in counted)
            foreach (var (key, users) in part)
                cells[key] = cells.GetValueOrDefault(key) + users;

        List<RetentionCohort> Cohorts(Func<(long Cohort, long Week), int> count)
        {
            var cohorts = new List<RetentionCohort>();
            for (var c = UtcCalendar.WeekIndex(from); c <= UtcCalendar.WeekIndex(to); c++)
            {
                var size = count((c, c));
                var retention = new List<double?>();
                for (var w = c; w <= currentWeek; w++)
                    retention.Add(size == 0 ? null : (double)count((c, w)) / size);
                cohorts.Add(new RetentionCohort(UtcCalendar.WeekStartOfIndex(c), size, retention));
            }
            return cohorts;
        }
        static Func<(long Cohort, long Week), int> Counter(IEnumerable<KeyValuePair<Cell, int>> cells)
        {
            var sums = new Dictionary<(long Cohort, long Week), int>();
            foreach (var (cell, users) in cells) sums[(cell.Cohort, cell.Week)] = sums.GetValueOrDefault((cell.Cohort, cell.Week)) + users;
            return key => sums.GetValueOrDefault(key);
        }

        var all = Cohorts(Counter(cells));
        if (breakdown is null) return new RetentionResult(all);

        Func<long, string> valueOf;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            valueOf = await breakdown.ValuesAsync(db, cells.Keys.Select(k => k.User), ct);
        // A member's cell of their cohort week is their first: one entry per cohort user.
        var keep = BreakdownGroups.Keep(cells.Keys.Where(k => k.Cohort == k.Week).Select(k => valueOf(k.User)));
        var groups = BreakdownGroups.InOrder(cells.GroupBy(c => keep(valueOf(c.Key.User)), StringComparer.Ordinal), g => g.Key)
            .Select(g => new RetentionGroup(BreakdownGroups.Label(g.Key), Cohorts(Counter(g))))
            .ToList();
        return new RetentionResult(all, groups);
    }

    /// <summary>A count of users of a cohort active in a week; per user (User = the identity) or for all (User = 0).</summary>
    private readonly record struct Cell(long User, long Cohort, long Week);

    /// <summary>
    /// The cohort cells of the identities in [<paramref name="loUser"/>, <paramref name="hiUser"/>]
    /// from the user-day rollup plus the events above its watermark, in one snapshot: one pass over
    /// the rollup in key order (each user's days in order, the covering primary key, no sort), each
    /// user's tail days merged in. A user's first day is their cohort's; each ISO week
    /// (<see cref="UtcCalendar.WeekIndexOfDay"/>) with a day of theirs before the horizon counts them once.
    /// </summary>
    private async Task<Dictionary<Cell, int>> CountAsync(long loUser, long hiUser, long fromDay, long toDay,
        long horizonDay, bool perUser, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var snapshot = await Rollup.BeginSnapshotAsync(db, ct);
        var (connection, transaction) = (db.Database.GetDbConnection(), snapshot.GetDbTransaction());
        var tail = new Dictionary<long, SortedSet<long>>();
        await using (var cmd = connection.CreateCommand())
        {
            cmd.Transaction = transaction;
            cmd.CommandText = $"""
                SELECT e."UserId", e."Timestamp" / {UtcCalendar.DayMs} FROM "Events" AS e, ({Rollup.Watermark}) AS w
                WHERE e."Id" > w."Id" AND +e."UserId" BETWEEN $lo AND $hi
                """;
            EventRanges.Add(cmd, "$lo", loUser);
            EventRanges.Add(cmd, "$hi", hiUser);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (reader.Read())
            {
                if (!tail.TryGetValue(reader.GetInt64(0), out var days)) tail[reader.GetInt64(0)] = days = [];
                days.Add(reader.GetInt64(1));
            }
        }

        var cells = new Dictionary<Cell, int>();
        void Count(long user, List<long> days)
        {
            var first = days[0];
            if (first < fromDay || first > toDay) return;
            var (cohort, last) = (UtcCalendar.WeekIndexOfDay(first), long.MinValue);
            foreach (var day in days)
            {
                var week = UtcCalendar.WeekIndexOfDay(day);
                if (day >= horizonDay || week == last) continue;
                last = week;
                var cell = new Cell(perUser ? user : 0, cohort, week);
                cells[cell] = cells.GetValueOrDefault(cell) + 1;
            }
        }
        void CountWithTail(long user, List<long> days)
        {
            if (tail.Remove(user, out var extra))
            {
                extra.UnionWith(days);
                days.Clear();
                days.AddRange(extra);
            }
            Count(user, days);
        }

        await using (var cmd = connection.CreateCommand())
        {
            cmd.Transaction = transaction;
            cmd.CommandText = """SELECT "UserId", "Day" FROM "UserDays" WHERE "UserId" BETWEEN $lo AND $hi ORDER BY "UserId", "Day" """;
            EventRanges.Add(cmd, "$lo", loUser);
            EventRanges.Add(cmd, "$hi", hiUser);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            var (user, days, n) = (long.MinValue, new List<long>(), 0);
            while (reader.Read())
            {
                if ((++n & 0xFFFF) == 0) ct.ThrowIfCancellationRequested();
                var next = reader.GetInt64(0);
                if (next != user && days.Count > 0)
                {
                    CountWithTail(user, days);
                    days.Clear();
                }
                user = next;
                days.Add(reader.GetInt64(1));
            }
            if (days.Count > 0) CountWithTail(user, days);
        }
        foreach (var (user, days) in tail) Count(user, [.. days]);
        return cells;
    }
}
