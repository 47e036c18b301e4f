using System.Data.Common;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Dashboard.Analytics.Rollups;

/// <summary>
/// The rollup funnels read: every event's timestamp, one row per (event name, ISO week, identity)
/// in the table <c>EventTimes</c> (a WITHOUT ROWID table keyed in that order), the timestamps
/// sorted and packed as unsigned LEB128 varints of the differences (the first from 0), so a
/// week of an identity's events of one name is one row of a few bytes per event. Kept with the
/// other rollups (same job, same watermark, same transaction); events above the watermark are read
/// raw, so readers stay exact.
/// </summary>
public static class EventTimes
{
    public const string Table = "EventTimes";

    /// <summary>The ISO week index (Monday start) of a Unix-millisecond timestamp.</summary>
    public static long WeekOf(long timestampMs) => (timestampMs / UtcCalendar.DayMs + 3) / 7;

    /// <summary>The first millisecond of week index <paramref name="week"/>.</summary>
    public static long WeekStartMs(long week) => (week * 7 - 3) * UtcCalendar.DayMs;

    public static byte[] Encode(ReadOnlySpan<long> sorted)
    {
        var buffer = new byte[sorted.Length * 10];
        var length = 0;
        long previous = 0;
        foreach (var t in sorted)
        {
            var delta = (ulong)(t - previous);
            previous = t;
            while (delta >= 0x80)
            {
                buffer[length++] = (byte)(delta | 0x80);
                delta >>= 7;
            }
            buffer[length++] = (byte)delta;
        }
        return buffer[..length];
    }

    /// <summary>Calls <paramref name="each"/> with every timestamp of <paramref name="packed"/>, in order.</summary>
    public static void Decode<TSink>(ReadOnlySpan<byte> packed, ref TSink each) where TSink : struct, ITimeSink
    {
        long value = 0;
        var i = 0;
        while (i < packed.Length)
        {
            ulong delta = 0;
            var shift = 0;
            byte b;
            do
            {
                b = packed[i++];
                delta |= (ulong)(b & 0x7F) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            value += (long)delta;
            each.Add(value);
        }
    }

    public interface ITimeSink
    {
        void Add(long timestamp);
    }

    private struct ListSink(List<long> list) : ITimeSink
    {
        public readonly void Add(long timestamp) => list.Add(timestamp);
    }

    /// <summary>
    /// Adds (<paramref name="sign"/> = 1) or removes (-1, one occurrence each) the timestamps of the
    /// events selected by <paramref name="events"/> (a condition on <c>Events AS e</c>), in the
    /// caller's transaction: one read and one write of each (name, week, identity) row they touch.
    /// </summary>
    public static async Task ApplyAsync(DashboardDbContext db, string events, int sign, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        var touched = new Dictionary<(string Name, long Week, long UserId), List<long>>();
        await using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
#pragma warning disable CA2100 // the condition is built from constants and integers only (see Rollup.Sql)
            read.CommandText = $"""SELECT e."Name", e."UserId", e."Timestamp" FROM "Events" AS e WHERE {events}""";
#pragma warning restore CA2100
            await using var reader = await read.ExecuteReaderAsync(ct);
            while (reader.Read())
            {
                var (name, user, ts) = (reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2));
                var key = (name, WeekOf(ts), user);
                if (!touched.TryGetValue(key, out var list)) touched[key] = list = [];
                list.Add(ts);
            }
        }
        if (touched.Count == 0) return;

        await using var select = Command(connection, transaction, $"""SELECT "Times" FROM "{Table}" WHERE "Name" = $name AND "Week" = $week AND "UserId" = $user""");
        await using var upsert = Command(connection, transaction, $"""
            INSERT INTO "{Table}" ("Name", "Week", "UserId", "Times") VALUES ($name, $week, $user, $times)
            ON CONFLICT ("Name", "Week", "UserId") DO UPDATE SET "Times" = excluded."Times"
            """, "$times");
        await using var delete = Command(connection, transaction, $"""DELETE FROM "{Table}" WHERE "Name" = $name AND "Week" = $week AND "UserId" = $user""");
        var times = new List<long>();
        foreach (var ((name, week, user), changes) in touched)
        {
            foreach (var c in new[] { select, upsert, delete })
                (c.Parameters["$name"].Value, c.Parameters["$week"].Value, c.Parameters["$user"].Value) = (name, week, user);
            times.Clear();
            if (await select.ExecuteScalarAsync(ct) is byte[] stored)
            {
                var sink = new ListSink(times);
                Decode(stored, ref sink);
            }
            if (sign > 0)
            {
                times.AddRange(changes);
                times.Sort();
            }
            else
            {
                foreach (var t in changes)
                {
                    var at = times.BinarySearch(t);
                    if (at >= 0) times.RemoveAt(at);
                }
            }
            if (times.Count == 0)
                await delete.ExecuteNonQueryAsync(ct);
            else
            {
                upsert.Parameters["$times"].Value = Encode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(times));
                await upsert.ExecuteNonQueryAsync(ct);
            }
        }
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params string[] extra)
    {
        var cmd = connection.CreateCommand();
        cmd.Transaction = transaction;
        cmd.CommandText = sql;
        foreach (var name in new[] { "$name", "$week", "$user" }.Concat(extra))
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            cmd.Parameters.Add(p);
        }
        cmd.Prepare();
        return cmd;
    }
}
