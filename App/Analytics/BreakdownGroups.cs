namespace Dashboard.Analytics;

/// <summary>
/// A breakdown keeps its <see cref="MaxGroups"/> largest groups and folds the rest into one
/// overflow group, so a property with thousands of values (ids, URLs) neither floods the answer
/// nor the page. Largest means the most members (signed-up users, users who started a funnel, a
/// trend's measure); ties go to the value that sorts first, so the cut is the same on every run.
/// <para>
/// The overflow group is keyed by <see cref="OtherKey"/>, which starts with a NUL character, so a
/// real value such as <c>(other)</c> stays a group of its own; answers label the overflow group
/// <see cref="Other"/> (<see cref="Label"/>).
/// </para>
/// </summary>
public static class BreakdownGroups
{
    public const int MaxGroups = 25;
    public const string Other = "(other)";
    public const string OtherKey = "\0(other)";

    /// <summary>Maps each value to itself when it is among the largest groups, else to <see cref="OtherKey"/>; one entry per member.</summary>
    public static Func<string, string> Keep(IEnumerable<string> memberValues, int max = MaxGroups) =>
        KeepLargest(memberValues.CountBy(v => v, StringComparer.Ordinal).ToDictionary(c => c.Key, c => (double)c.Value, StringComparer.Ordinal), max);

    /// <summary>The same, for groups whose size is given (a trend's measure over the range).</summary>
    public static Func<string, string> KeepLargest(IReadOnlyDictionary<string, double> sizes, int max = MaxGroups)
    {
        if (sizes.Count <= max) return static v => v;
        var kept = sizes
            .OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Take(max).Select(c => c.Key)
            .ToHashSet(StringComparer.Ordinal);
        return v => kept.Contains(v) ? v : OtherKey;
    }

    /// <summary>0 for a kept group, 1 for the overflow group: the sort key that lists it last.</summary>
    public static int OtherLast(string key) => key == OtherKey ? 1 : 0;

    /// <summary>The value a group is shown and answered with.</summary>
    public static string Label(string key) => key == OtherKey ? Other : key;

    /// <summary>Groups in value order, with the overflow group last.</summary>
    public static IOrderedEnumerable<T> InOrder<T>(IEnumerable<T> groups, Func<T, string> key) =>
        groups.OrderBy(g => OtherLast(key(g))).ThenBy(key, StringComparer.Ordinal);
}
