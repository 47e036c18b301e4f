namespace Dashboard.Analytics;

/// <summary>
/// A breakdown keeps its <see cref="MaxGroups"/> largest groups and folds the rest into one
/// <see cref="Other"/> group, so a property with thousands of values (ids, URLs) neither floods the
/// answer nor the page. Largest means the most members (signed-up users, users who started a
/// funnel); ties go to the value that sorts first, so the cut is the same on every run.
/// </summary>
public static class BreakdownGroups
{
    public const int MaxGroups = 25;
    public const string Other = "(other)";

    /// <summary>Maps each value to itself when it is among the largest groups, else to <see cref="Other"/>; one entry per member.</summary>
    public static Func<string, string> Keep(IEnumerable<string> memberValues, int max = MaxGroups)
    {
        var counts = memberValues.CountBy(v => v, StringComparer.Ordinal).ToList();
        if (counts.Count <= max) return static v => v;
        var kept = counts
            .OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Take(max).Select(c => c.Key)
            .ToHashSet(StringComparer.Ordinal);
        return v => kept.Contains(v) ? v : Other;
    }

    /// <summary>Groups in value order, with <see cref="Other"/> last.</summary>
    public static IOrderedEnumerable<T> InOrder<T>(IEnumerable<T> groups, Func<T, string> value) =>
        groups.OrderBy(g => value(g) == Other ? 1 : 0).ThenBy(value, StringComparer.Ordinal);
}
