using System.Text.Json;
using System.Text.RegularExpressions;
using Dashboard.Annotations;
using Dashboard.Data;
using Dashboard.Flags;
using Dashboard.Schema;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Analytics.Experiments;

/// <summary>What an admin can set on an experiment. Null means "not given".</summary>
public sealed record ExperimentInput(
    string? Key,
    string? FlagKey,
    string? Hypothesis,
    string? GoalEvent,
    IReadOnlyDictionary<string, JsonElement>? GoalFilter,
    DateTimeOffset? Start,
    DateTimeOffset? End,
    double? MinimumDetectableEffect,
    string? Analysis = null,
    IReadOnlyList<ExperimentMetric>? Metrics = null);

public enum EditOutcome { Ok, Invalid, NotFound, Conflict }

public sealed record EditResult(EditOutcome Outcome, ExperimentView? Experiment, string? Error)
{
    public static EditResult Fail(EditOutcome outcome, string error) => new(outcome, null, error);
}

/// <summary>
/// Creates, edits, starts and stops experiments. On create (and on edits of a draft) the variants
/// are copied from the flag, which must exist and have at least two; that snapshot is what the
/// sample-ratio check compares against. States: draft → running → stopped. A running experiment
/// keeps its flag, variants and start (changing them would mix two experiments' users); stopping
/// sets the end to now when it was later, so conversions after the stop do not count. A stopped
/// experiment is read-only. A new experiment without metrics gets the error-rate guardrail
/// (<c>APP_ERROR</c>, should decrease) when the taxonomy defines that event. After every commit the
/// in-memory flag state is reloaded, so a start or stop decides the very next evaluation in this
/// process, as a flag change does. A start and a stop record an experiment annotation with who made them.
/// </summary>
public sealed partial class ExperimentEditor(IDbContextFactory<DashboardDbContext> dbFactory, TaxonomyCache taxonomy, FlagCache flags, TimeProvider clock)
{
    public const int MaxMetrics = 10;

    public const double DefaultMinimumDetectableEffect = 0.10;
    public const int MaxHypothesisLength = 2_000;
    public const int MaxFilterProperties = 10;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")]
    private static partial Regex KeyPattern();

    public async Task<ExperimentView?> FindAsync(string key, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var record = await db.Experiments.AsNoTracking().FirstOrDefaultAsync(e => e.Key == key, ct);
        return record is null ? null : ExperimentView.From(record);
    }

    public async Task<EditResult> CreateAsync(ExperimentInput input, bool start = false, string? by = null, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(input.Key)) return EditResult.Fail(EditOutcome.Invalid, "key is required");
        if (!KeyPattern().IsMatch(input.Key))
            return EditResult.Fail(EditOutcome.Invalid, "key: 1 to 100 letters, digits, '_', '-' or '.', starting with a letter or digit");
        if (input.Key == "new") return EditResult.Fail(EditOutcome.Invalid, "key: 'new' is reserved (it is the address of the new-experiment form)");
        if (string.IsNullOrWhiteSpace(input.FlagKey)) return EditResult.Fail(EditOutcome.Invalid, "flagKey is required");
        if (string.IsNullOrWhiteSpace(input.GoalEvent)) return EditResult.Fail(EditOutcome.Invalid, "goalEvent is required");

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Experiments.AnyAsync(e => e.Key == input.Key, ct))
            return EditResult.Fail(EditOutcome.Conflict, $"an experiment with the key '{input.Key}' exists");
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var record = new ExperimentRecord
        {
            Key = input.Key,
            FlagKey = input.FlagKey,
            GoalEvent = input.GoalEvent,
            MinimumDetectableEffect = DefaultMinimumDetectableEffect,
            State = ExperimentState.Draft,
            CreatedAt = now,
            UpdatedAt = now,
        };
        if (input.Metrics is null && HasErrorEvent) input = input with { Metrics = [ExperimentMetric.ErrorGuardrail] };
        if (await ApplyAsync(db, record, input, ct) is { } error) return EditResult.Fail(EditOutcome.Invalid, error);
        if (start && StartError(record, now) is { } startError) return EditResult.Fail(EditOutcome.Invalid, startError);
        if (start) Start(db, record, now, by);
        db.Experiments.Add(record);
        return await CommitAsync(db, record, ct);
    }

    public async Task<EditResult> UpdateAsync(string key, ExperimentInput input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var record = await db.Experiments.FirstOrDefaultAsync(e => e.Key == key, ct);
        if (record is null) return EditResult.Fail(EditOutcome.NotFound, $"no experiment '{key}'");
        if (input.Key is not null && input.Key != key) return EditResult.Fail(EditOutcome.Invalid, "the key of an experiment cannot change");
        if (record.State == ExperimentState.Stopped) return EditResult.Fail(EditOutcome.Conflict, "a stopped experiment cannot be changed");
        if (record.State == ExperimentState.Running)
        {
            if (input.FlagKey is not null && input.FlagKey != record.FlagKey)
                return EditResult.Fail(EditOutcome.Conflict, "a running experiment keeps its flag; stop it and create a new one");
            if (input.Start is { } s && s.ToUnixTimeMilliseconds() != record.Start)
                return EditResult.Fail(EditOutcome.Conflict, "a running experiment keeps its start");
        }
        if (await ApplyAsync(db, record, input, ct) is { } error) return EditResult.Fail(EditOutcome.Invalid, error);
        record.UpdatedAt = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return await CommitAsync(db, record, ct);
    }

    public async Task<EditResult> StartAsync(string key, string? by = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var record = await db.Experiments.FirstOrDefaultAsync(e => e.Key == key, ct);
        if (record is null) return EditResult.Fail(EditOutcome.NotFound, $"no experiment '{key}'");
        if (record.State != ExperimentState.Draft)
            return EditResult.Fail(EditOutcome.Conflict, $"only a draft can start; this experiment is {ExperimentJson.State(record.State)}");
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (StartError(record, now) is { } error) return EditResult.Fail(EditOutcome.Invalid, error);
        Start(db, record, now, by);
        return await CommitAsync(db, record, ct);
    }

    public async Task<EditResult> StopAsync(string key, string? by = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var record = await db.Experiments.FirstOrDefaultAsync(e => e.Key == key, ct);
        if (record is null) return EditResult.Fail(EditOutcome.NotFound, $"no experiment '{key}'");
        if (record.State != ExperimentState.Running)
            return EditResult.Fail(EditOutcome.Conflict, $"only a running experiment can stop; this experiment is {ExperimentJson.State(record.State)}");
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        record.State = ExperimentState.Stopped;
        record.End = Math.Min(record.End ?? now, now);
        record.UpdatedAt = now;
        Record(db, record, now, "stopped", by);
        return await CommitAsync(db, record, ct);
    }

    /// <summary>True when the taxonomy defines the error event, so new experiments guard the error rate.</summary>
    public bool HasErrorEvent => taxonomy.Current.Definitions.Any(d => d.Name == ExperimentMetric.ErrorEvent);

    private async Task<EditResult> CommitAsync(DashboardDbContext db, ExperimentRecord record, CancellationToken ct)
    {
        await db.SaveChangesAsync(ct);
        // The periodic reload would pick the change up within its interval; evaluations right
        // after a start would record no exposure until then. This makes it take effect at once here.
        await flags.ReloadAsync(ct);
        return new EditResult(EditOutcome.Ok, ExperimentView.From(record), null);
    }

    private static void Record(DashboardDbContext db, ExperimentRecord record, long now, string what, string? by) =>
        AnnotationLog.Record(db, AnnotationKinds.Experiment, now, $"Experiment {record.Key} {what} (flag {record.FlagKey}, goal {record.GoalEvent})",
            by ?? "unknown", "experiments/" + Uri.EscapeDataString(record.Key));

    private static string? StartError(ExperimentRecord record, long now) =>
        record.End is { } end && end <= now ? "the end date has passed; set a later end before starting" : null;

    private static void Start(DashboardDbContext db, ExperimentRecord record, long now, string? by)
    {
        record.State = ExperimentState.Running;
        record.Start ??= now;
        record.UpdatedAt = now;
        Record(db, record, now, "started", by);
    }

    private static string? FilterError(string field, IReadOnlyDictionary<string, JsonElement> filter)
    {
        if (filter.Count > MaxFilterProperties) return $"{field}: at most {MaxFilterProperties} properties";
        foreach (var (name, value) in filter)
        {
            if (string.IsNullOrWhiteSpace(name)) return $"{field}: property names cannot be empty";
            if (value.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False))
                return $"{field}.{name}: a string, number or boolean";
        }
        return null;
    }

    /// <summary>Validates the given fields and copies them onto the record; a draft re-reads its flag's variants.</summary>
    private async Task<string?> ApplyAsync(DashboardDbContext db, ExperimentRecord record, ExperimentInput input, CancellationToken ct)
    {
        if (input.Hypothesis is { Length: > MaxHypothesisLength })
            return $"hypothesis: at most {MaxHypothesisLength} characters";
        if (input.GoalEvent is not null)
        {
            if (!taxonomy.Current.Definitions.Any(d => d.Name == input.GoalEvent))
                return $"goalEvent: '{input.GoalEvent}' is not in the event taxonomy";
            record.GoalEvent = input.GoalEvent;
        }
        if (input.GoalFilter is { } filter)
        {
            if (FilterError("goalFilter", filter) is { } filterError) return filterError;
            record.GoalFilter = JsonSerializer.Serialize(filter);
        }
        if (input.Analysis is { } analysis)
        {
            if (analysis is not (ExperimentView.Sequential or ExperimentView.FixedHorizon))
                return $"analysis: {ExperimentView.Sequential} or {ExperimentView.FixedHorizon}";
            record.FixedHorizon = analysis == ExperimentView.FixedHorizon;
        }
        if (input.Metrics is { } metrics)
        {
            if (metrics.Count > MaxMetrics) return $"metrics: at most {MaxMetrics}";
            for (var i = 0; i < metrics.Count; i++)
            {
                var m = metrics[i];
                if (string.IsNullOrWhiteSpace(m.Event)) return $"metrics[{i}].event is required";
                if (!taxonomy.Current.Definitions.Any(d => d.Name == m.Event)) return $"metrics[{i}].event: '{m.Event}' is not in the event taxonomy";
                if (m.Kind is not (ExperimentMetric.Secondary or ExperimentMetric.Guardrail)) return $"metrics[{i}].kind: secondary or guardrail";
                if (m.Direction is not (ExperimentMetric.Increase or ExperimentMetric.Decrease)) return $"metrics[{i}].direction: increase or decrease";
                if (FilterError($"metrics[{i}].where", m.Where) is { } whereError) return whereError;
            }
            record.Metrics = ExperimentJson.MetricsJson(metrics);
        }
        if (input.MinimumDetectableEffect is { } mde)
        {
            if (!(mde > 0 && mde <= 10))
                return "minimumDetectableEffect: a relative lift above 0 and at most 10 (0.10 = +10% of the control rate)";
            record.MinimumDetectableEffect = mde;
        }
        if (input.Hypothesis is not null) record.Hypothesis = input.Hypothesis.Trim();
        var start = input.Start?.ToUnixTimeMilliseconds() ?? record.Start;
        var end = input.End?.ToUnixTimeMilliseconds() ?? record.End;
        if (start is { } s && end is { } e && e <= s) return "end must be after start";
        record.Start = start;
        record.End = end;

        if (record.State == ExperimentState.Draft && input.FlagKey is not null)
        {
            var flag = await db.Flags.AsNoTracking().FirstOrDefaultAsync(f => f.Key == input.FlagKey, ct);
            if (flag is null) return $"flagKey: no flag '{input.FlagKey}'";
            var variants = ExperimentJson.Variants(flag.Variants);
            if (variants.Count < 2)
                return $"flagKey: the flag '{input.FlagKey}' needs at least two variants (the first is control) to run an experiment";
            if (variants.Any(v => !(v.Weight > 0)))
                return $"flagKey: every variant of '{input.FlagKey}' needs a weight above 0";
            record.FlagKey = input.FlagKey;
            record.Variants = ExperimentJson.VariantsJson(variants);
        }
        return null;
    }
}
