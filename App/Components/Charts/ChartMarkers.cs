using System.Globalization;
using Dashboard.Annotations;
using Dashboard.Rollups;

namespace Dashboard.Components.Charts;

/// <summary>A vertical line at the category <c>Index</c> of a chart, with a short label and a tooltip of one line per change.</summary>
public sealed record ChartMarker(int Index, string Label, string Tooltip);

/// <summary>
/// Annotations as markers of a time chart whose categories are buckets: bucket i starts on
/// <c>starts[i]</c> and lasts <c>bucketDays</c> days (1 for days, 7 for ISO weeks). Every
/// annotation in a bucket goes to that bucket's marker, so a busy day is one marker listing its
/// changes. This is the one way pages fetch and pass annotations to <see cref="ApexChart"/>.
/// </summary>
public static class ChartMarkers
{
    public const int LabelLength = 24;

    public static async Task<IReadOnlyList<ChartMarker>> MarkersAsync(this AnnotationsQuery query, IReadOnlyList<DateOnly> starts, int bucketDays,
        CancellationToken ct = default)
    {
        if (starts.Count == 0) return [];
        var annotations = await query.RangeAsync(UtcCalendar.StartMs(starts[0]), UtcCalendar.StartMs(starts[^1].AddDays(bucketDays)), ct);
        return For(annotations, starts, bucketDays);
    }

    public static IReadOnlyList<ChartMarker> For(IReadOnlyList<Annotation> annotations, IReadOnlyList<DateOnly> starts, int bucketDays)
    {
        if (starts.Count == 0) return [];
        var end = starts[^1].AddDays(bucketDays);
        return annotations
            .OrderBy(a => a.At)
            .Select(a => (Day: DateOnly.FromDateTime(a.At.UtcDateTime), Annotation: a))
            .Where(x => x.Day >= starts[0] && x.Day < end)
            // The last bucket starting on or before the day.
            .GroupBy(x => LastAtOrBefore(starts, x.Day))
            .Where(g => g.Key >= 0)
            .OrderBy(g => g.Key)
            .Select(g =>
            {
                var list = g.Select(x => x.Annotation).ToList();
                var label = list.Count == 1 ? Shorten(list[0].Text) : $"{list.Count} changes";
                return new ChartMarker(g.Key, label, string.Join("\n", list.Select(Line)));
            })
            .ToList();
    }

    /// <summary>"2026-11-03 14:05 UTC · flag · the text · by alice".</summary>
    public static string Line(Annotation a) =>
        $"{a.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC · {a.Kind} · {a.Text} · by {a.By}";

    private static string Shorten(string text) => text.Length <= LabelLength ? text : text[..(LabelLength - 1)] + "…";

    private static int LastAtOrBefore(IReadOnlyList<DateOnly> starts, DateOnly day)
    {
        var found = -1;
        for (var i = 0; i < starts.Count && starts[i] <= day; i++) found = i;
        return found;
    }
}
