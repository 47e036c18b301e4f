using System.Data.Common;
using System.Text;
using Dashboard.Data;
using Dashboard.Rollups;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Dashboard.Cohorts;

/// <summary>
/// Computes who is in a cohort and stores it. Membership is one SQL query over Users and Events:
/// users not merged into another whose every condition holds at <c>now</c>:
/// a trait equal to one of its values; an event (with its property values) at least N times with
/// now − D days ≤ timestamp ≤ now; first seen on a UTC day in [from, to]. The stored members are
/// then replaced by the difference only (removed, added), in short transactions of
/// <see cref="ChunkSize"/> rows, so the write lock is never held for long.
/// </summary>
public sealed class CohortMembership(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    public const int ChunkSize = 2000;

    /// <summary>Recomputes one cohort; its new size, or null when the cohort does not exist.</summary>
    public async Task<long?> ComputeAsync(string key, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var cohort = await db.Cohorts.FirstOrDefaultAsync(c => c.Key == key, ct);
        if (cohort is null) return null;
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var members = await MembersAsync(db, CohortDefinition.FromJson(cohort.Definition), now, ct);
        await ReplaceAsync(db, key, members, ct);
        cohort.ComputedAt = now;
        cohort.Size = members.Count;
        await db.SaveChangesAsync(ct);
        return members.Count;
    }

    /// <summary>Removes every member in short transactions (before the cohort itself is deleted).</summary>
    public async Task ClearAsync(string key, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await ReplaceAsync(db, key, [], ct);
    }

    internal static async Task<HashSet<long>> MembersAsync(DashboardDbContext db, CohortDefinition definition, long now, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Open) await db.Database.OpenConnectionAsync(ct);
        await using var cmd = connection.CreateCommand();
        var sql = new StringBuilder("SELECT u.Id FROM Users u WHERE u.MergedInto IS NULL");
        var n = 0;
        string Param(object value)
        {
            var name = $"@p{n++}";
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value;
            cmd.Parameters.Add(p);
            return name;
        }
        foreach (var t in definition.Traits)
        {
            var path = Param(JsonPath(t.Trait));
            sql.Append($" AND {JsonValueAsText("u.Traits", path)} IN ({string.Join(", ", t.Values.Select(v => Param(v)))})");
        }
        if (definition.FirstSeen is { } f)
            sql.Append($" AND u.FirstSeen >= {Param(UtcCalendar.StartMs(f.From))} AND u.FirstSeen < {Param(UtcCalendar.EndMs(f.To))}");
        foreach (var e in definition.Events)
        {
            sql.Append($" AND u.Id IN (SELECT e.UserId FROM Events e WHERE e.Name = {Param(e.Event)}")
                .Append($" AND e.Timestamp >= {Param(now - e.Days * UtcCalendar.DayMs)} AND e.Timestamp <= {Param(now)}");
            foreach (var (property, value) in e.Where)
                sql.Append($" AND {JsonValueAsText("e.Properties", Param(JsonPath(property)))} = {Param(value)}");
            sql.Append($" GROUP BY e.UserId HAVING COUNT(*) >= {Param(e.AtLeast)})");
        }
        cmd.CommandText = sql.ToString();
        var ids = new HashSet<long>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetInt64(0));
        return ids;
    }

    /// <summary>
    /// The one SQLite-specific bit: a top-level key of a JSON column as text (a string by its value,
    /// numbers and booleans as their JSON text), the way <see cref="JsonText.Value(string?, string)"/> reads it.
    /// </summary>
    private static string JsonValueAsText(string column, string path) =>
        $"(CASE json_type({column}, {path}) WHEN 'text' THEN json_extract({column}, {path}) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE {column} -> {path} END)";

    private static string JsonPath(string key) => "$.\"" + key.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static async Task ReplaceAsync(DashboardDbContext db, string key, HashSet<long> members, CancellationToken ct)
    {
        var current = await db.CohortMembers.AsNoTracking().Where(m => m.CohortKey == key).Select(m => m.UserId).ToListAsync(ct);
        var removed = current.Where(id => !members.Contains(id)).ToList();
        var added = members.Except(current).Order().ToList();
        foreach (var chunk in removed.Chunk(ChunkSize))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await db.CohortMembers.Where(m => m.CohortKey == key && chunk.Contains(m.UserId)).ExecuteDeleteAsync(ct);
            await tx.CommitAsync(ct);
        }
        foreach (var chunk in added.Chunk(ChunkSize))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await InsertAsync(db.Database.GetDbConnection(), tx.GetDbTransaction(), key, chunk, ct);
            await tx.CommitAsync(ct);
        }
    }

    /// <summary>One prepared insert reused for the chunk, like the batch writer (no change tracking).</summary>
    private static async Task InsertAsync(DbConnection connection, DbTransaction tx, string key, long[] chunk, CancellationToken ct)
    {
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO CohortMembers (CohortKey, UserId) VALUES (@key, @user)";
        var k = cmd.CreateParameter();
        k.ParameterName = "@key";
        k.Value = key;
        var u = cmd.CreateParameter();
        u.ParameterName = "@user";
        cmd.Parameters.Add(k);
        cmd.Parameters.Add(u);
        foreach (var id in chunk)
        {
            u.Value = id;
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }
}
