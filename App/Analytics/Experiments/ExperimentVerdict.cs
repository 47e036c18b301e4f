using System.Globalization;
using Dashboard.Data;
using Dashboard.Rollups;

namespace Dashboard.Analytics.Experiments;

/// <summary>
/// The result in one or two sentences. The order matters: a sample-ratio mismatch overrides
/// everything (the data cannot be trusted); then missing data; then an under-powered comparison
/// says who is ahead but to keep running (stopping early on a lucky streak is how false wins are
/// made). By default (sequential analysis) a winner or loser is called as soon as the always-valid
/// confidence sequence excludes 0, which stays valid however often anyone looks; a fixed-horizon
/// experiment calls one only at the planned sample size, at α = 0.05. With several treatments
/// both read Holm-corrected p-values. A guardrail that moved the wrong way comes first, as a warning.
/// </summary>
public static class ExperimentVerdict
{
    public const double Alpha = 0.05;

    public static string Describe(ExperimentRecord e, ExperimentAnalysis a, long now, IReadOnlyList<string>? guardrailWarnings = null)
    {
        var verdict = Core(e, a, now);
        return guardrailWarnings is { Count: > 0 } w && e.State != ExperimentState.Draft
            ? $"Warning: {string.Join(" ", w)} {verdict}"
            : verdict;
    }

    private static string Core(ExperimentRecord e, ExperimentAnalysis a, long now)
    {
        var v = a.Variants;
        if (e.State == ExperimentState.Draft)
            return "Not started: users are exposed only once the experiment runs.";
        if (v.Count < 2) return "The experiment needs at least two variants.";
        if (a.Srm.Mismatch)
            return $"Sample ratio mismatch ({P(a.Srm.PValue!.Value)}): the variants did not get the split their weights promise, " +
                   "so the comparison cannot be trusted. Check the flag's targeting and the exposure logging before reading these numbers.";
        var total = v.Sum(x => x.Exposed);
        if (total == 0)
            return e.State == ExperimentState.Running
                ? "No users have been exposed yet: keep running."
                : "No users were exposed: there is nothing to compare.";
        if (v.Any(x => x.Exposed == 0))
            return $"Not every variant has users yet ({string.Join(", ", v.Select(x => $"{x.Key} {N(x.Exposed)}"))}): keep running.";

        var stopped = e.State == ExperimentState.Stopped || (e.End is { } end && end <= now);
        var treatments = v.Skip(1).ToList();
        var best = treatments.Where(t => t.AbsoluteLift is not null).OrderByDescending(t => t.AbsoluteLift).FirstOrDefault();
        var minExposed = v.Min(x => x.Exposed);

        if (a.SampleSizePerVariant is not { } required)
            return stopped
                ? $"Inconclusive: the sample size could not be worked out ({a.SampleSizeNote})."
                : $"The sample size cannot be worked out yet ({a.SampleSizeNote}): keep running.";

        var corrected = a.Correction == ExperimentAnalysis.Holm ? $", Holm-corrected across {treatments.Count} treatments" : "";
        if (!e.FixedHorizon)
        {
            var seqWinner = treatments.Where(t => t.Sequential is { Significant: true } && t.AbsoluteLift > 0).OrderByDescending(t => t.AbsoluteLift).FirstOrDefault();
            if (seqWinner is not null)
                return $"{Label(seqWinner.Key)} beats control: {Pct(seqWinner.Rate)} against {Pct(v[0].Rate)} ({Signed(seqWinner.RelativeLift)} relative), " +
                       $"always-valid 95% interval of the difference {Points(seqWinner.Sequential!.Ci95)}{corrected}. The sequential test stays valid however often it is read, so it is safe to stop.";
            var seqLosers = treatments.Where(t => t.Sequential is { Significant: true } && t.AbsoluteLift < 0).ToList();
            if (seqLosers.Count == treatments.Count)
                return $"Control is better: {string.Join("; ", seqLosers.Select(l => $"{Label(l.Key)} converts {Pct(l.Rate)} against {Pct(v[0].Rate)}, always-valid 95% interval {Points(l.Sequential!.Ci95)}"))}{corrected}.";
        }

        var ahead = best is null || best.AbsoluteLift <= 0 ? "Control" : Label(best.Key);
        var leading = best is not null && best.AbsoluteLift == 0 ? "No variant is ahead" : $"{ahead} is ahead";
        if (minExposed < required)
        {
            if (stopped)
                return $"Inconclusive: {leading.Replace(" is ahead", " was ahead")}, but only {N(minExposed)} of {N(required)} users per variant were exposed " +
                       "before the experiment ended, too few to tell a real difference from noise.";
            var sentence = $"{leading}, but only {N(minExposed)} of {N(required)} users per variant have been exposed: keep running.";
            if (a.DaysLeft is { } days)
            {
                sentence += $" About {N(days)} more day{(days == 1 ? "" : "s")} at current traffic";
                if (e.End is { } until && now + days * UtcCalendar.DayMs > until)
                    sentence += $", past the planned end ({UtcCalendar.Day(until - 1):yyyy-MM-dd}): extend it or accept a larger detectable effect";
                sentence += ".";
            }
            return sentence;
        }

        if (!e.FixedHorizon)
        {
            var sp = best?.Sequential is { } bs ? $" (always-valid {P(bs.PValue)})" : "";
            return $"No significant difference at the planned sample size{sp}: if there is an effect, it is smaller than the " +
                   $"{Signed(e.MinimumDetectableEffect)} the experiment was sized to detect.";
        }
        var winners = treatments.Where(t => t.AdjustedPValue < Alpha && t.AbsoluteLift > 0).OrderByDescending(t => t.AbsoluteLift).ToList();
        if (winners.Count > 0)
        {
            var w = winners[0];
            return $"{Label(w.Key)} beats control: {Pct(w.Rate)} against {Pct(v[0].Rate)} ({Signed(w.RelativeLift)} relative), " +
                   $"95% CI of the difference {Points(w.Ci95)}, {P(w.AdjustedPValue!.Value)}{corrected}.";
        }
        var losers = treatments.Where(t => t.AdjustedPValue < Alpha && t.AbsoluteLift < 0).ToList();
        if (losers.Count == treatments.Count)
            return $"Control is better: {string.Join("; ", losers.Select(l => $"{Label(l.Key)} converts {Pct(l.Rate)} against {Pct(v[0].Rate)}, {P(l.AdjustedPValue!.Value)}"))}{corrected}.";
        var p = best?.AdjustedPValue is { } bp ? $" ({P(bp)})" : "";
        return $"No significant difference at the planned sample size{p}: if there is an effect, it is smaller than the " +
               $"{Signed(e.MinimumDetectableEffect)} the experiment was sized to detect.";
    }

    private static string Label(string key) => key.Length == 0 ? key : char.ToUpperInvariant(key[0]) + key[1..];

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    public static string Pct(double? rate) => rate is { } r ? (r * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "n/a";

    private static string Signed(double? rel) => rel is { } r ? (r >= 0 ? "+" : "−") + Math.Abs(r * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%" : "n/a";

    public static string Points(double[]? ci) => ci is [var lo, var hi]
        ? $"{(lo * 100).ToString("+0.0;−0.0;0.0", CultureInfo.InvariantCulture)} to {(hi * 100).ToString("+0.0;−0.0;0.0", CultureInfo.InvariantCulture)} points"
        : "n/a";

    public static string P(double p) => p < 0.0001 ? "p < 0.0001" : "p = " + p.ToString("0.0000", CultureInfo.InvariantCulture);
}
