namespace Dashboard.Analytics.Experiments;

/// <summary>
/// A secondary or guardrail metric, compared like the goal: per treatment the absolute lift with
/// its Wald interval, the z-test p-value and the always-valid confidence sequence. A metric moved
/// "the wrong way" when a treatment's lift is significant against its direction: by the
/// confidence sequence excluding 0, or with a fixed-horizon experiment by p &lt; 0.05. Only the goal
/// is corrected for several treatments: a guardrail errs on the side of warning. Pure.
/// </summary>
public static class ExperimentMetrics
{
    public static MetricResult Report(ExperimentMetric metric, IReadOnlyList<ExperimentVariant> variants, long[] exposed, long[] hits,
        bool fixedHorizon)
    {
        var comparisons = ExperimentAnalysis.Compare(exposed, hits);
        var rows = new List<MetricVariantResult>(variants.Count);
        var warnings = new List<string>();
        double? controlRate = exposed.Length > 0 && exposed[0] > 0 ? (double)hits[0] / exposed[0] : null;
        for (var i = 0; i < variants.Count; i++)
        {
            double? rate = exposed[i] > 0 ? (double)hits[i] / exposed[i] : null;
            if (comparisons[i] is not { } c)
            {
                rows.Add(new MetricVariantResult(variants[i].Key, exposed[i], hits[i], rate, null, null, null, null, null,
                    exposed[i] > 0 ? null : "no users exposed"));
                continue;
            }
            rows.Add(new MetricVariantResult(variants[i].Key, exposed[i], hits[i], rate, c.AbsoluteLift, c.Ci95, c.RelativeLift,
                c.PValue, c.Sequential, c.Note));
            if (metric.Kind == ExperimentMetric.Guardrail && MovedWrongWay(metric, c, fixedHorizon))
            {
                var interval = fixedHorizon
                    ? $"95% CI of the difference {ExperimentVerdict.Points(c.Ci95)}, {ExperimentVerdict.P(c.PValue!.Value)}"
                    : $"always-valid 95% interval of the difference {ExperimentVerdict.Points(c.Sequential!.Ci95)}";
                warnings.Add($"Guardrail {metric.Event}{(metric.Where.Count > 0 ? $" ({ExperimentJson.Describe(metric.Where)})" : "")} " +
                             $"{(c.AbsoluteLift > 0 ? "rose" : "fell")} in {variants[i].Key}: {ExperimentVerdict.Pct(rate)} of users against {ExperimentVerdict.Pct(controlRate)} in control " +
                             $"({interval}); it should {metric.Direction}.");
            }
        }
        return new MetricResult(metric.Event, metric.Where, metric.Kind, metric.Direction, rows, warnings.Count > 0, warnings);
    }

    private static bool MovedWrongWay(ExperimentMetric metric, ExperimentAnalysis.Comparison c, bool fixedHorizon)
    {
        if (c.AbsoluteLift is not { } lift || lift == 0) return false;
        var wrong = metric.Direction == ExperimentMetric.Decrease ? lift > 0 : lift < 0;
        if (!wrong) return false;
        return fixedHorizon ? c.PValue < ExperimentVerdict.Alpha : c.Sequential is { } s && SequentialWrong(metric, s);
    }

    private static bool SequentialWrong(ExperimentMetric metric, SequentialResult s) =>
        metric.Direction == ExperimentMetric.Decrease ? s.Ci95[0] > 0 : s.Ci95[1] < 0;
}
