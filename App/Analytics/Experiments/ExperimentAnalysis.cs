using Dashboard.Analytics.Statistics;

namespace Dashboard.Analytics.Experiments;

/// <summary>
/// Turns the counts per variant into the comparison: every treatment against control (the first
/// variant) with the statistics of <c>Analytics/Statistics</c>, the sample-ratio check against the
/// configured weights, the sample size per variant for the minimum detectable effect (baseline =
/// control's observed rate), progress = the least-exposed variant's share of it, and the days
/// left at each variant's traffic so far. Each treatment also gets the always-valid confidence
/// sequence of its lift and, when a pre-exposure covariate is given, the CUPED-adjusted lift. With
/// several treatments the goal's p-values (fixed-horizon and always-valid) are Holm-corrected
/// across the treatments before anything is called significant. Pure: no store, no clock.
/// </summary>
public sealed record ExperimentAnalysis(
    IReadOnlyList<VariantResult> Variants,
    SrmResult Srm,
    long? SampleSizePerVariant,
    string? SampleSizeNote,
    double? Progress,
    int? DaysLeft,
    string? DaysLeftNote,
    string? LeadingVariant,
    string Correction,
    string? CupedNote)
{
    public const string Holm = "holm", NoCorrection = "none";

    public static ExperimentAnalysis Analyse(IReadOnlyList<ExperimentVariant> variants, long[] exposed, long[] converted,
        double minimumDetectableEffect, double daysRunning, CupedArm[]? covariate = null)
    {
        if (variants.Count == 0)
            return new ExperimentAnalysis([], new SrmResult(null, false, "the experiment has no variants"), null,
                "the experiment has no variants", null, null, null, null, NoCorrection, "the experiment has no variants");

        var comparisons = Compare(exposed, converted);
        var correction = variants.Count > 2 ? Holm : NoCorrection;
        var adjusted = Statistics.Holm.Adjust(comparisons.Select(c => c?.PValue).ToList());
        var adjustedSequential = Statistics.Holm.Adjust(comparisons.Select(c => c?.Sequential?.PValue).ToList());

        var theta = covariate is null
            ? Computed<double>.CannotCompute("no pre-exposure activity was read")
            : Cuped.Theta(covariate);
        var pooledX = covariate is null ? 0 : covariate.Aggregate(default(CupedArm), (a, b) => a + b) is { N: > 0 } all ? all.MeanX : 0;

        var control = new Proportion(exposed[0], converted[0]);
        var results = new List<VariantResult>(variants.Count);
        for (var i = 0; i < variants.Count; i++)
        {
            var arm = new Proportion(exposed[i], converted[i]);
            var rate = arm.Rate.HasValue ? arm.Rate.Value : (double?)null;
            if (i == 0)
            {
                results.Add(new VariantResult(variants[i].Key, variants[i].Weight, exposed[i], converted[i], rate,
                    null, null, null, null, null, null, null, null, arm.Rate.CannotComputeReason));
                continue;
            }
            var c = comparisons[i]!;
            var chance = BayesianComparison.ChanceToBeatControl(control, arm);
            var sequential = c.Sequential is { } s
                ? s with { Significant = adjustedSequential[i] < ConfidenceSequence.Alpha }
                : null;
            CupedResult? cuped = null;
            if (theta.HasValue && Cuped.AbsoluteLift(covariate![0], covariate[i], theta.Value, pooledX) is { HasValue: true } adj)
                cuped = new CupedResult(adj.Value.Lift, [adj.Value.Ci95.Low, adj.Value.Ci95.High], adj.Value.VarianceReduction, theta.Value);
            results.Add(new VariantResult(variants[i].Key, variants[i].Weight, exposed[i], converted[i], rate,
                c.AbsoluteLift, c.Ci95, c.RelativeLift, c.PValue, adjusted[i],
                chance.HasValue ? chance.Value : null, sequential, cuped, c.Note ?? chance.CannotComputeReason));
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
            daysLeft.HasValue ? daysLeft.Value : null, daysLeft.CannotComputeReason, leader, correction,
            theta.HasValue ? null : theta.CannotComputeReason);
    }

    /// <summary>One treatment's comparison with control, as the goal and every extra metric report it.</summary>
    public sealed record Comparison(double? AbsoluteLift, double[]? Ci95, double? RelativeLift, double? PValue,
        SequentialResult? Sequential, string? Note);

    /// <summary>Per variant (null for control): lift, Wald interval, relative lift, z-test p-value and the confidence sequence.</summary>
    public static Comparison?[] Compare(long[] exposed, long[] converted)
    {
        var result = new Comparison?[exposed.Length];
        if (exposed.Length == 0) return result;
        var control = new Proportion(exposed[0], converted[0]);
        for (var i = 1; i < exposed.Length; i++)
        {
            var arm = new Proportion(exposed[i], converted[i]);
            var lift = TwoProportions.AbsoluteLift(control, arm);
            var ci = TwoProportions.AbsoluteLiftCi95(control, arm);
            var relative = TwoProportions.RelativeLift(control, arm);
            var test = TwoProportions.PooledZTest(control, arm);
            var cs = ConfidenceSequence.AbsoluteLift(control, arm);
            // The first reason a figure is missing, so the page can say why in words.
            var note = lift.CannotComputeReason ?? test.CannotComputeReason ?? ci.CannotComputeReason
                ?? relative.CannotComputeReason ?? cs.CannotComputeReason;
            result[i] = new Comparison(
                lift.HasValue ? lift.Value : null,
                ci.HasValue ? [ci.Value.Low, ci.Value.High] : null,
                relative.HasValue ? relative.Value : null,
                test.HasValue ? test.Value.PValue : null,
                cs.HasValue ? new SequentialResult([cs.Value.Low, cs.Value.High], cs.Value.PValue, cs.Value.PValue < ConfidenceSequence.Alpha) : null,
                note);
        }
        return result;
    }
}
