using System.Text.Json.Serialization;
using Dashboard.Data;
using Dashboard.Rollups;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Analytics.Trends;

public enum TrendInterval { Day, Week, Month }

public enum TrendMeasureKind { Total, Users, PerUser, Sum, Avg }

/// <summary>What a point counts; <see cref="Property"/> is the numeric property of sum and avg.</summary>
public sealed record TrendMeasure(TrendMeasureKind Kind, string? Property = null)
{
    public static readonly TrendMeasure Total = new(TrendMeasureKind.Total);
}

public sealed record TrendsRequest(string Event, IReadOnlyList<KeyValuePair<string, string>> Where, TrendMeasure Measure,
    TrendInterval Interval, DateOnly From, DateOnly To, Breakdown? Breakdown = null, bool ComparePrevious = false)
{
    /// <summary>Only the events of this cohort's members (<c>cohort=KEY</c>).</summary>
    public string? Cohort { get; init; }

    /// <summary>
    /// The request from the read API's query-string values; an <see cref="InsightsParameterException"/>
    /// for the first value that cannot be used.
    /// </summary>
    public static TrendsRequest Parse(string? @event, string? where, string? measure, string? interval, string? from, string? to,
        string? breakdown, string? compare)
    {
        if (string.IsNullOrWhiteSpace(@event)) throw new InsightsParameterException("'event' is required (event=NAME)");
        var range = InsightsParameters.Range(from, to);
        return new TrendsRequest(@event.Trim(), ParseWhere(where), ParseMeasure(measure), ParseInterval(interval), range.From, range.To,
            Analytics.Breakdown.Parse(breakdown, BreakdownSource.EventProperty), compare switch
            {
                null or "" => false,
                "previous" => true,
                _ => throw new InsightsParameterException($"'compare' must be previous, got '{compare}'"),
            });
    }

    private static List<KeyValuePair<string, string>> ParseWhere(string? value)
    {
        var conditions = new List<KeyValuePair<string, string>>();
        foreach (var part in (value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) throw new InsightsParameterException($"'where': write each condition as property=value, got '{part}'");
            conditions.Add(new(part[..eq].Trim(), part[(eq + 1)..].Trim()));
        }
        if (conditions.Count > 20) throw new InsightsParameterException("'where' takes at most 20 conditions");
        return conditions;
    }

    private static TrendMeasure ParseMeasure(string? value)
    {
        switch (value)
        {
            case null or "" or "total": return TrendMeasure.Total;
            case "users": return new(TrendMeasureKind.Users);
            case "perUser": return new(TrendMeasureKind.PerUser);
        }
        foreach (var (prefix, kind) in new[] { ("sum:", TrendMeasureKind.Sum), ("avg:", TrendMeasureKind.Avg) })
            if (value.StartsWith(prefix, StringComparison.Ordinal) && value.Length > prefix.Length)
                return new(kind, value[prefix.Length..]);
        throw new InsightsParameterException($"'measure' must be total, users, perUser, sum:PROPERTY or avg:PROPERTY, got '{value}'");
    }

    private static TrendInterval ParseInterval(string? value) => value switch
    {
        null or "" or "day" => TrendInterval.Day,
        "week" => TrendInterval.Week,
        "month" => TrendInterval.Month,
        _ => throw new InsightsParameterException($"'interval' must be day, week or month, got '{value}'"),
    };
}

public sealed record TrendPoint(DateOnly Start, double? Value);

/// <summary>One line of the trend: its breakdown value (null without a breakdown), a point per bucket, and the measure over the whole range.</summary>
public sealed record TrendSeries(string? Breakdown, IReadOnlyList<TrendPoint> Points, double? Total);

public sealed record TrendsResult(IReadOnlyList<TrendSeries> Series,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<TrendSeries>? Previous);

/// <summary>
/// How one event went over time. The events named <c>event</c> with their timestamp in the
/// inclusive UTC days [from, to] and every <c>where</c> condition met (a property equal to the value,
/// compared as text) are put in buckets: UTC days, ISO weeks labelled by their Monday, or calendar
/// months labelled by their first day; a bucket the range covers in part counts only the covered
/// days, and every bucket is listed, empty ones too. Measures per bucket: <c>total</c> events;
/// <c>users</c>, the distinct identities; <c>perUser</c>, events ÷ users (null without users);
/// <c>sum:P</c>, the sum of the numeric values of property P (0 without any); <c>avg:P</c>, their mean
/// (null without any). Values of P that are not numbers are left out. A series' total is the measure
/// over the whole range (distinct users of the range, not a sum of buckets). A breakdown (by a
/// property of the event, a trait of its user, or a trait of the user's account; missing values,
/// and users without an account, form "(none)") keeps the
/// <see cref="BreakdownGroups.MaxGroups"/> groups with the largest total and folds the rest into
/// <see cref="BreakdownGroups.Other"/>, computed from their events (a user counts there once);
/// series are ordered by total, largest first, the overflow group last. <c>compare=previous</c> adds the same
/// over the period of as many days just before <c>from</c>. <c>cohort=KEY</c> keeps the events of the
/// cohort's members only.
/// <para>
/// SQL only reads the event's rows from the (Name, Timestamp) index; conditions and values are read
/// in C#, so the query is the same on every database.
/// </para>
/// </summary>
public sealed class TrendsQuery(IDbContextFactory<DashboardDbContext> dbFactory)
{
    /// <summary>An event as the measure needs it: its group (by event property) and number read from its properties once.</summary>
    private sealed record Row(long UserId, long Timestamp, string? Group, double? Number);

    public async Task<TrendsResult> RunAsync(TrendsRequest request, CancellationToken ct = default)
    {
        var series = await SeriesAsync(request, request.From, request.To, ct);
        List<TrendSeries>? previous = null;
        if (request.ComparePrevious)
        {
            var days = request.To.DayNumber - request.From.DayNumber + 1;
            previous = await SeriesAsync(request, request.From.AddDays(-days), request.From.AddDays(-1), ct);
        }
        return new TrendsResult(series, previous);
    }

    private async Task<List<TrendSeries>> SeriesAsync(TrendsRequest request, DateOnly from, DateOnly to, CancellationToken ct)
    {
        var needProperties = request.Where.Count > 0 || request.Measure.Property is not null || request.Breakdown is { ByTrait: false };
        var rows = new List<Row>();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await Cohorts.CohortFilter.RequireAsync(db, request.Cohort, ct);
        await db.Database.OpenConnectionAsync(ct);
        await using (var cmd = EventRanges.Command(db.Database.GetDbConnection(), request.Event, UtcCalendar.StartMs(from), UtcCalendar.EndMs(to), needProperties, request.Cohort))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (reader.Read())
            {
                using var properties = needProperties && !reader.IsDBNull(3) ? JsonText.Parse(reader.GetString(3)) : null;
                var root = properties?.RootElement;
                if (!request.Where.All(w => JsonText.Value(root, w.Key) == w.Value)) continue;
                rows.Add(new Row(reader.GetInt64(0), reader.GetInt64(1),
                    request.Breakdown is { ByTrait: false } b ? JsonText.Value(root, b.Key) : null,
                    request.Measure.Property is { } p ? JsonText.Number(root, p) : null));
            }
        }

        var buckets = Buckets(request.Interval, from, to);
        if (request.Breakdown is not { } breakdown)
            return [Series(null, rows, buckets, request)];

        var valueOf = breakdown.ByTrait ? await breakdown.ValuesAsync(db, rows.Select(r => r.UserId), ct) : null;
        string GroupOf(Row r) => valueOf is not null ? valueOf(r.UserId) : r.Group!;

        var byValue = rows.GroupBy(GroupOf, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var sizes = byValue.ToDictionary(g => g.Key, g => Measure(request.Measure, Accumulate(g.Value)) ?? 0, StringComparer.Ordinal);
        var keep = BreakdownGroups.KeepLargest(sizes);
        return byValue
            .GroupBy(g => keep(g.Key), StringComparer.Ordinal)
            .Select(g => (g.Key, Series: Series(BreakdownGroups.Label(g.Key), g.SelectMany(x => x.Value).ToList(), buckets, request)))
            .OrderBy(s => BreakdownGroups.OtherLast(s.Key))
            .ThenByDescending(s => s.Series.Total ?? 0).ThenBy(s => s.Key, StringComparer.Ordinal)
            .Select(s => s.Series)
            .ToList();
    }

    private static TrendSeries Series(string? label, List<Row> rows, List<DateOnly> buckets, TrendsRequest request)
    {
        var interval = request.Interval;
        var perBucket = rows.GroupBy(r => BucketStart(interval, UtcCalendar.Day(r.Timestamp)))
            .ToDictionary(g => g.Key, g => Measure(request.Measure, Accumulate(g)));
        var points = buckets.Select(b => new TrendPoint(b, perBucket.TryGetValue(b, out var v) ? v : Measure(request.Measure, default))).ToList();
        return new TrendSeries(label, points, Measure(request.Measure, Accumulate(rows)));
    }

    private readonly record struct Totals(long Events, int Users, double Sum, long Values);

    private static Totals Accumulate(IEnumerable<Row> rows)
    {
        long events = 0, values = 0;
        double sum = 0;
        var users = new HashSet<long>();
        foreach (var r in rows)
        {
            events++;
            users.Add(r.UserId);
            if (r.Number is { } v)
            {
                sum += v;
                values++;
            }
        }
        return new Totals(events, users.Count, sum, values);
    }

    private static double? Measure(TrendMeasure measure, Totals t) => measure.Kind switch
    {
        TrendMeasureKind.Total => t.Events,
        TrendMeasureKind.Users => t.Users,
        TrendMeasureKind.PerUser => t.Users == 0 ? null : (double)t.Events / t.Users,
        TrendMeasureKind.Sum => t.Sum,
        _ => t.Values == 0 ? null : t.Sum / t.Values,
    };

    public static DateOnly BucketStart(TrendInterval interval, DateOnly day) => interval switch
    {
        TrendInterval.Day => day,
        TrendInterval.Week => UtcCalendar.WeekStart(day),
        _ => new DateOnly(day.Year, day.Month, 1),
    };

    private static List<DateOnly> Buckets(TrendInterval interval, DateOnly from, DateOnly to)
    {
        var list = new List<DateOnly>();
        for (var b = BucketStart(interval, from); b <= to;)
        {
            list.Add(b);
            b = interval switch
            {
                TrendInterval.Day => b.AddDays(1),
                TrendInterval.Week => b.AddDays(7),
                _ => b.AddMonths(1),
            };
        }
        return list;
    }
}
