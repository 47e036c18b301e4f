using Dashboard.Analytics.Statistics;

namespace Dashboard.Analytics.Experiments;

/// <summary>
/// Turns the counts per variant into the comparison: every treatment against control (the first
/// variant) with the statistics of <c>Analytics/Statistics</c>, the sample-ratio check against the
/// configured weights, the sample size per variant for the minimum detectable effect (baseline =
/// control's observed rate), progress = the least-exposed variant's share of it, and the days
/// left at each variant's traffic so far. Pure: no store, no clock.
/// </summary>
public sealed record ExperimentAnalysis(
    IReadOnlyList<VariantResult> Variants,
    SrmResult Srm,
    long? SampleSizePerVariant,
    string? SampleSizeNote,
    double? Progress,
    int? DaysLeft,
    string? DaysLeftNote,
    string? LeadingVariant)
{
    public static ExperimentAnalysis Analyse(IReadOnlyList<ExperimentVariant> variants, long[] exposed, long[] converted,
        double minimumDetectableEffect, double daysRunning)
    {
        if (variants.Count == 0)
            return new ExperimentAnalysis([], new SrmResult(null, false, "the experiment has no variants"), null,
                "the experiment has no variants", null, null, null, null);

        var control = new Proportion(exposed[0], converted[0]);
        var results = new List<VariantResult>(variants.Count);
        for (var i = 0; i < variants.Count; i++)
        {
            var arm = new Proportion(exposed[i], converted[i]);
            var rate = arm.Rate.HasValue ? arm.Rate.Value : (double?)null;
            if (i == 0)
            {
                results.Add(new VariantResult(variants[i].Key, variants[i].Weight, exposed[i], converted[i], rate,
                    null, null, null, null, null, arm.Rate.CannotComputeReason));
                continue;
            }
            var lift = TwoProportions.AbsoluteLift(control, arm);
            var ci = TwoProportions.AbsoluteLiftCi95(control, arm);
            var relative = TwoProportions.RelativeLift(control, arm);
            var test = TwoProportions.PooledZTest(control, arm);
            var chance = BayesianComparison.ChanceToBeatControl(control, arm);
            // The first reason a figure is missing, so the page can say why in words.
            var note = lift.CannotComputeReason ?? test.CannotComputeReason ?? ci.CannotComputeReason
                ?? relative.CannotComputeReason ?? chance.CannotComputeReason;
            results.Add(new VariantResult(variants[i].Key, variants[i].Weight, exposed[i], converted[i], rate,
                lift.HasValue ? lift.Value : null,
                ci.HasValue ? [ci.Value.Low, ci.Value.High] : null,
                relative.HasValue ? relative.Value : null,
                test.HasValue ? test.Value.PValue : null,
                chance.HasValue ? chance.Value : null,
                note));
        }

        var srmTest = SampleRatioMismatch.Test(exposed, variants.Select(v => v.Weight).ToList());
        var srm = srmTest.HasValue
            ? new SrmResult(srmTest.Value.PValue, srmTest.Value.Mismatch, null)
            : new SrmResult(null, false, srmTest.CannotComputeReason);

        var size = control.Rate.HasValue
            ? SampleSize.PerVariant(control.Rate.Value, minimumDetectableEffect)
            : Computed<long>.CannotCompute("no users exposed to control yet, so there is no baseline rate to size from");
        long? required = size.HasValue ? size.Value : null;
        double? progress = required is { } n ? Math.Min(1, exposed.Min() / (double)n) : null;
        Computed<int> daysLeft = required is { } r
            ? SampleSize.DaysLeft(r, exposed, daysRunning)
            : Computed<int>.CannotCompute("the sample size is not known yet");

        // The leader is the variant with the highest observed rate (control on a tie).
        string? leader = null;
        double best = double.NegativeInfinity;
        foreach (var v in results)
        {
            if (v.Rate is { } x && x > best) { best = x; leader = v.Key; }
        }

        return new ExperimentAnalysis(results, srm, required, size.CannotComputeReason, progress,
            daysLeft.HasValue ? daysLeft.Value : null, daysLeft.CannotComputeReason, leader);
    }
}
