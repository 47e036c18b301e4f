namespace Dashboard.Analytics.Statistics;

/// <summary>
/// Holm's step-down correction for m tests (Holm, "A simple sequentially rejective multiple test
/// procedure", Scand. J. Statist. 1979): sort the p-values p₍₁₎ ≤ … ≤ p₍ₘ₎; the adjusted value is
/// p̃₍ᵢ₎ = max over j ≤ i of min(1, (m − j + 1)·p₍ⱼ₎). Rejecting where p̃ &lt; α keeps the chance of
/// any false rejection at most α, and never rejects less than Bonferroni. Missing p-values (null)
/// stay null and do not count towards m.
/// </summary>
public static class Holm
{
    public static double?[] Adjust(IReadOnlyList<double?> pValues)
    {
        var adjusted = new double?[pValues.Count];
        var order = Enumerable.Range(0, pValues.Count).Where(i => pValues[i] is not null)
            .OrderBy(i => pValues[i]!.Value).ThenBy(i => i).ToArray();
        var m = order.Length;
        double running = 0;
        for (var rank = 0; rank < m; rank++)
        {
            var i = order[rank];
            running = Math.Max(running, Math.Min(1, (m - rank) * pValues[i]!.Value));
            adjusted[i] = running;
        }
        return adjusted;
    }
}
