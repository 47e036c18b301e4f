using Dashboard.Annotations;
using Dashboard.Components.Charts;
using static Dashboard.Tests.Analytics.AnalyticsData;

namespace Dashboard.Tests.Components.Charts;

public sealed class ChartMarkersTests
{
    private static Annotation Note(string at, string text, string kind = AnnotationKinds.Note) => new(1, T(at), kind, text, "alice", null);

    [Fact]
    public void For_WeeklyBuckets_GroupsEachWeeksChangesIntoOneMarker()
    {
        // Weeks of 11-02, 11-09, 11-16 (7 days each): the chart covers 11-02..11-22.
        DateOnly[] weeks = [D("2026-11-02"), D("2026-11-09"), D("2026-11-16")];
        Annotation[] annotations =
        [
            Note("2026-11-01T23:59:59Z", "before the chart"),
            Note("2026-11-02T00:00:00Z", "first second"),
            Note("2026-11-15T23:59:59Z", "Flag checkout changed: Enabled: off → on", AnnotationKinds.Flag),
            Note("2026-11-09T08:00:00Z", "second week"),
            Note("2026-11-22T23:59:59Z", "last second"),
            Note("2026-11-23T00:00:00Z", "after the chart"),
        ];

        var markers = ChartMarkers.For(annotations, weeks, 7);

        Assert.Equal([0, 1, 2], markers.Select(m => m.Index));
        Assert.Equal("first second", markers[0].Label);
        Assert.Equal("2 changes", markers[1].Label);
        Assert.Equal("2026-11-09 08:00 UTC · note · second week · by alice\n2026-11-15 23:59 UTC · flag · Flag checkout changed: Enabled: off → on · by alice",
            markers[1].Tooltip);
        Assert.Equal("last second", markers[2].Label);
    }

    [Fact]
    public void For_LongTextAndNoBuckets_ShortensAndIsEmpty()
    {
        var marker = Assert.Single(ChartMarkers.For([Note("2026-11-02T10:00:00Z", new string('a', 40))], [D("2026-11-02")], 1));
        Assert.Equal(ChartMarkers.LabelLength, marker.Label.Length);
        Assert.EndsWith("…", marker.Label);
        Assert.Empty(ChartMarkers.For([Note("2026-11-02T10:00:00Z", "x")], [], 1));
    }
}
