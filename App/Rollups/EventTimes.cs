using System.Data.Common;
using System.Numerics;
using System.Runtime.Intrinsics;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Dashboard.Rollups;

/// <summary>
/// The rollup funnels read: every event's timestamp, in the table <c>EventTimes</c> (WITHOUT ROWID,
/// keyed by event name, ISO week and block of <see cref="BlockSize"/> identities). A row packs, for
/// each identity of the block with events of that name in that week, in identity order: the
/// identity as a varint difference from the previous one, the byte length of its timestamps, and
/// its timestamps sorted, as varint differences (the first from 0). All varints are unsigned
/// LEB128. So a reader gets a few bytes per event and one row per 64 identities, and skips the
/// identities it does not need without unpacking them. Kept with the other rollups (same job,
/// same watermark, same transaction); events above the watermark are read raw, so readers stay exact.
/// </summary>
public static class EventTimes
{
    public const string Table = "EventTimes";
    public const int BlockSize = 64;

    /// <summary>The ISO week index (Monday start) of a Unix-millisecond timestamp.</summary>
    public static long WeekOf(long timestampMs) => UtcCalendar.WeekIndexOfDay(timestampMs / UtcCalendar.DayMs);

    /// <summary>
    /// Receives a row's contents: each identity with its packed timestamps (see <see cref="Count"/>),
    /// then, when <see cref="User"/> returns true, its timestamps in order.
    /// </summary>
    public interface ISink
    {
        bool User(long userId, ReadOnlySpan<byte> times);
        void Add(long timestamp);
    }

    /// <summary>How many timestamps an identity's packed timestamps hold: one varint ends in each byte under 0x80.</summary>
    public static int Count(ReadOnlySpan<byte> times)
    {
        var (continued, i) = (0, 0);
        if (Vector128.IsHardwareAccelerated)
            for (; i + Vector128<byte>.Count <= times.Length; i += Vector128<byte>.Count)
                continued += BitOperations.PopCount(Vector128.ExtractMostSignificantBits(Vector128.Create(times.Slice(i, Vector128<byte>.Count))));
        for (; i < times.Length; i++)
            if (times[i] >= 0x80) continued++;
        return times.Length - continued;
    }

    public static byte[] Encode(SortedDictionary<long, List<long>> users)
    {
        var output = new List<byte>();
        var times = new List<byte>();
        long previousUser = 0;
        foreach (var (user, list) in users)
        {
            if (list.Count == 0) continue;
            list.Sort();
            times.Clear();
            long previous = 0;
            foreach (var t in list)
            {
                Write(times, (ulong)(t - previous));
                previous = t;
            }
            Write(output, (ulong)(user - previousUser));
            previousUser = user;
            Write(output, (ulong)times.Count);
            output.AddRange(times);
        }
        return [.. output];
    }

    private static void Write(List<byte> output, ulong value)
    {
        while (value >= 0x80)
        {
            output.Add((byte)(value | 0x80));
            value >>= 7;
        }
        output.Add((byte)value);
    }

    private static ulong Read(ReadOnlySpan<byte> packed, ref int i)
    {
        ulong value = 0;
        var shift = 0;
        byte b;
        do
        {
            b = packed[i++];
            value |= (ulong)(b & 0x7F) << shift;
            shift += 7;
        } while ((b & 0x80) != 0);
        return value;
    }

    /// <summary>Hands <paramref name="sink"/> every identity of a row and the timestamps of those it wants.</summary>
    public static void Decode<TSink>(ReadOnlySpan<byte> packed, ref TSink sink) where TSink : struct, ISink
    {
        var i = 0;
        long user = 0;
        while (i < packed.Length)
        {
            user += (long)Read(packed, ref i);
            var length = (int)Read(packed, ref i);
            var end = i + length;
            if (!sink.User(user, packed[i..end]))
            {
                i = end;
                continue;
            }
            long value = 0;
            while (i < end)
            {
                value += (long)Read(packed, ref i);
                sink.Add(value);
            }
        }
    }

    /// <summary>
    /// Hands <paramref name="sink"/> the timestamps of the events named <paramref name="name"/> in
    /// the ISO weeks touching [<paramref name="fromMs"/>, <paramref name="endMs"/>): the packed rows
    /// (events at or under the rollup watermark), then each event above the watermark with its
    /// timestamp in the range, as an identity with one timestamp. Run it in one read transaction
    /// (<see cref="Rollup.BeginSnapshotAsync"/>) so the two meet exactly. The rows hold whole
    /// weeks, so the sink keeps what falls in the range itself; an identity's timestamps come in
    /// order within a row, rows week by week, and the events above the watermark last.
    /// </summary>
    public static void Read<TSink>(DbConnection connection, DbTransaction transaction, string name, long fromMs, long endMs,
        ref TSink sink) where TSink : struct, ISink
    {
        using (var cmd = Command(connection, transaction, $"""
            SELECT "Times" FROM "{Table}" WHERE "Name" = $name AND "Week" >= $w0 AND "Week" <= $w1
            """, "$name", "$w0", "$w1"))
        {
            (cmd.Parameters["$name"].Value, cmd.Parameters["$w0"].Value, cmd.Parameters["$w1"].Value) = (name, WeekOf(fromMs), WeekOf(endMs - 1));
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
                Decode(reader.GetFieldValue<byte[]>(0), ref sink);
        }
        var tail = sink;
        ReadTail(connection, transaction, [name], fromMs, endMs, (_, user, ts) =>
        {
            if (tail.User(user, [])) tail.Add(ts);
        });
        sink = tail;
    }

    /// <summary>
    /// Hands <paramref name="each"/> (name index, UserId, timestamp) of every event above the rollup
    /// watermark named one of <paramref name="names"/> with its timestamp in
    /// [<paramref name="fromMs"/>, <paramref name="endMs"/>), in the caller's read transaction.
    /// The rowid range above the watermark is read, not the name index, which would visit every such event.
    /// </summary>
    public static void ReadTail(DbConnection connection, DbTransaction transaction, IReadOnlyList<string> names, long fromMs, long endMs,
        Action<int, long, long> each)
    {
        var parameters = names.Select((_, i) => $"$n{i}").ToArray();
        using var cmd = Command(connection, transaction, $"""
            SELECT e."Name", e."UserId", e."Timestamp" FROM "Events" AS e, ({Rollup.Watermark}) AS w
            WHERE e."Id" > w."Id" AND e."Name" || '' IN ({string.Join(", ", parameters)}) AND +e."Timestamp" >= $from AND +e."Timestamp" < $end
            """, [.. parameters, "$from", "$end"]);
        for (var i = 0; i < names.Count; i++) cmd.Parameters[parameters[i]].Value = names[i];
        (cmd.Parameters["$from"].Value, cmd.Parameters["$end"].Value) = (fromMs, endMs);
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            var name = reader.GetString(0);
            var index = 0;
            while (names[index] != name) index++;
            each(index, reader.GetInt64(1), reader.GetInt64(2));
        }
    }

    private struct DictionarySink(SortedDictionary<long, List<long>> users) : ISink
    {
        private List<long>? _current;

        public bool User(long userId, ReadOnlySpan<byte> times)
        {
            _current = new List<long>(Count(times));
            users[userId] = _current;
            return true;
        }

        public readonly void Add(long timestamp) => _current!.Add(timestamp);
    }

    /// <summary>
    /// Adds (<paramref name="sign"/> = 1) or removes (-1, one occurrence each) the timestamps of the
    /// events selected by <paramref name="events"/> (a condition on <c>Events AS e</c>), in the
    /// caller's transaction: one read and one write of each (name, week, block) row they touch.
    /// </summary>
    public static async Task ApplyAsync(DashboardDbContext db, string events, int sign, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        var touched = new Dictionary<(string Name, long Week, long Block), List<(long UserId, long Ts)>>();
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
                var key = (name, WeekOf(ts), user / BlockSize);
                if (!touched.TryGetValue(key, out var list)) touched[key] = list = [];
                list.Add((user, ts));
            }
        }
        if (touched.Count == 0) return;

        await using var select = Command(connection, transaction, $"""SELECT "Times" FROM "{Table}" WHERE "Name" = $name AND "Week" = $week AND "Block" = $block""", Key);
        await using var upsert = Command(connection, transaction, $"""
            INSERT INTO "{Table}" ("Name", "Week", "Block", "Times") VALUES ($name, $week, $block, $times)
            ON CONFLICT ("Name", "Week", "Block") DO UPDATE SET "Times" = excluded."Times"
            """, [.. Key, "$times"]);
        await using var delete = Command(connection, transaction, $"""DELETE FROM "{Table}" WHERE "Name" = $name AND "Week" = $week AND "Block" = $block""", Key);
        foreach (var ((name, week, block), changes) in touched)
        {
            foreach (var c in new[] { select, upsert, delete })
                (c.Parameters["$name"].Value, c.Parameters["$week"].Value, c.Parameters["$block"].Value) = (name, week, block);
            var users = new SortedDictionary<long, List<long>>();
            if (await select.ExecuteScalarAsync(ct) is byte[] stored)
            {
                var sink = new DictionarySink(users);
                Decode(stored, ref sink);
            }
            foreach (var (user, ts) in changes)
            {
                if (!users.TryGetValue(user, out var times)) users[user] = times = [];
                if (sign > 0) times.Add(ts);
                else if (times.IndexOf(ts) is var at and >= 0) times.RemoveAt(at);
            }
            if (users.Values.All(t => t.Count == 0))
                await delete.ExecuteNonQueryAsync(ct);
            else
            {
                upsert.Parameters["$times"].Value = Encode(users);
                await upsert.ExecuteNonQueryAsync(ct);
            }
        }
    }

    /// <summary>The parameters naming one row.</summary>
    private static readonly string[] Key = ["$name", "$week", "$block"];

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params string[] parameters)
    {
        var cmd = connection.CreateCommand();
        cmd.Transaction = transaction;
        cmd.CommandText = sql;
        foreach (var name in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            cmd.Parameters.Add(p);
        }
        cmd.Prepare();
        return cmd;
    }
}
