using System.Globalization;
using System.Text.Json;
using Dashboard.Access;
using Dashboard.Rollups;
using Dashboard.Setup;

namespace Dashboard.Analytics.Experiments;

public sealed record ExperimentError(string Error);

public sealed record ExperimentListItem(string Key, string FlagKey, string State, DateTimeOffset? Start, DateTimeOffset? End,
    double DaysRunning, long Exposed, string? LeadingVariant, string Verdict);

public sealed record ExperimentList(IReadOnlyList<ExperimentListItem> Experiments);

/// <summary>
/// The experiments API under <c>/api/experiments</c>: reads for a read key or any session, writes
/// (create, edit, start, stop) for an admin key only: people change experiments on the pages, whose
/// forms carry antiforgery tokens. Bodies are <c>application/json</c> objects of at most
/// <see cref="MaxBodyBytes"/>.
/// </summary>
public static class ExperimentEndpoints
{
    public const int MaxBodyBytes = 64 * 1024;

    public static RouteGroupBuilder MapExperiments(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/experiments").WithTags("Experiments");
        var reads = group.MapGroup("").RequireAuthorization(AccessPolicies.Reader);
        var writes = group.MapGroup("").RequireAuthorization(AccessPolicies.ApiAdmin)
            .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status400BadRequest, typeof(ExperimentError), ["application/json"]))
            .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status409Conflict, typeof(ExperimentError), ["application/json"]));

        reads.MapGet("/", ListAsync)
            .WithName("ExperimentsList")
            .WithSummary("Every experiment with its state, days running, exposures, leading variant and verdict")
            .WithDescription("Newest first. format=csv answers the same rows as text/csv.")
            .Produces<ExperimentList>()
            .Produces<ExperimentError>(StatusCodes.Status400BadRequest)
            .WithQueryLimits();

        reads.MapGet("/{key}", GetAsync)
            .WithName("ExperimentsGet")
            .WithSummary("One experiment's settings")
            .Produces<ExperimentView>()
            .Produces<ExperimentError>(StatusCodes.Status404NotFound);

        reads.MapGet("/{key}/results", ResultsAsync)
            .WithName("ExperimentsResults")
            .WithSummary("The A/B comparison: per variant exposed, converted, rate, lift with 95% CI and always-valid 95% interval, p-value, chance to beat control, CUPED; plus secondary and guardrail metrics")
            .WithDescription("A user is in the variant of their first exposure inside [start, end); converted = the goal event (matching goalFilter) " +
                             "at or after that exposure and before the end. Absolute lift CI: Wald, unpooled standard error. p-value: two-sided " +
                             "two-proportion z-test, pooled standard error. Chance to beat control: Beta(1,1) priors. srm: chi-square against the " +
                             "configured weights, mismatch at p < 0.001. sampleSizePerVariant: for the minimum detectable effect at 80% power, " +
                             "alpha 0.05. sequential: the always-valid 95% confidence sequence of the absolute lift (asymptotic normal mixture, tuned for 10,000 users " +
                             "in a comparison) with its always-valid p-value; significant uses it, Holm-corrected across treatments when there are several " +
                             "(correction: holm; adjustedPValue is the Holm-corrected fixed-horizon p-value). The verdict reads the sequential test unless " +
                             "analysis is fixedHorizon. cuped: the lift adjusted for each user's event count in the 14 days before exposure (theta pooled), " +
                             "null with cupedNote when there is no such activity. metrics: each secondary or guardrail metric like the goal; " +
                             "guardrailWarnings: guardrails a treatment moved the wrong way significantly. Figures that cannot be computed are null, " +
                             "with the reason in note. format=csv: one row per variant.")
            .Produces<ExperimentResult>()
            .Produces<ExperimentError>(StatusCodes.Status400BadRequest)
            .Produces<ExperimentError>(StatusCodes.Status404NotFound)
            .WithQueryLimits();

        writes.MapPost("/", CreateAsync)
            .WithName("ExperimentsCreate")
            .WithSummary("Create an experiment on a flag (admin)")
            .WithDescription("Body: { key, flagKey, goalEvent, start?, end?, minimumDetectableEffect? (default 0.10), hypothesis?, goalFilter?: { prop: value }, " +
                             "state?: draft | running, analysis?: sequential (default) | fixedHorizon, metrics?: [ { event, where?, kind: secondary | guardrail, " +
                             "direction: increase | decrease } ] (at most 10; default: the APP_ERROR guardrail when the taxonomy defines APP_ERROR) }. start and end are YYYY-MM-DD (UTC; end inclusive) or ISO-8601 times. The variants are " +
                             "copied from the flag, which needs at least two; the first is control. 413 over 64 KB, 415 when not JSON.")
            .JsonObjectBody()
            .Produces<ExperimentView>(StatusCodes.Status201Created)
            .Produces<ExperimentError>(StatusCodes.Status413PayloadTooLarge)
            .Produces<ExperimentError>(StatusCodes.Status415UnsupportedMediaType);

        writes.MapPut("/{key}", UpdateAsync)
            .WithName("ExperimentsUpdate")
            .WithSummary("Change an experiment (admin)")
            .WithDescription("Body: any of the create fields. A running experiment keeps its flag and start; a stopped one is read-only (409).")
            .JsonObjectBody()
            .Produces<ExperimentView>()
            .Produces<ExperimentError>(StatusCodes.Status404NotFound)
            .Produces<ExperimentError>(StatusCodes.Status413PayloadTooLarge)
            .Produces<ExperimentError>(StatusCodes.Status415UnsupportedMediaType);

        writes.MapPost("/{key}/start", StartAsync)
            .WithName("ExperimentsStart")
            .WithSummary("Start a draft (admin): exposures are recorded from now, or from its start date when later")
            .Produces<ExperimentView>()
            .Produces<ExperimentError>(StatusCodes.Status404NotFound);

        writes.MapPost("/{key}/stop", StopAsync)
            .WithName("ExperimentsStop")
            .WithSummary("Stop a running experiment (admin): its end becomes now when it was later; no more exposures or conversions count")
            .Produces<ExperimentView>()
            .Produces<ExperimentError>(StatusCodes.Status404NotFound);

        return group;
    }

    private static async Task<IResult> ListAsync(string? format, ExperimentResultsQuery query, CancellationToken ct)
    {
        if (format is not (null or "json" or "csv")) return Error(400, "format must be json or csv");
        var rows = (await query.ListAsync(ct)).Select(x => new ExperimentListItem(x.Experiment.Key, x.Experiment.FlagKey, x.Experiment.State,
            x.Experiment.Start, x.Experiment.End, x.Result.DaysRunning, x.Result.Variants.Sum(v => v.Exposed), x.Result.LeadingVariant,
            x.Result.Verdict)).ToList();
        if (format != "csv") return Results.Ok(new ExperimentList(rows));
        var csv = new Csv().Row("key", "flagKey", "state", "start", "end", "daysRunning", "exposed", "leadingVariant", "verdict");
        foreach (var r in rows) csv.Row(r.Key, r.FlagKey, r.State, Iso(r.Start), Iso(r.End), r.DaysRunning, r.Exposed, r.LeadingVariant, r.Verdict);
        return csv.ToResult();
    }

    private static async Task<IResult> GetAsync(string key, ExperimentEditor editor, CancellationToken ct) =>
        await editor.FindAsync(key, ct) is { } view ? Results.Ok(view) : NotFound(key);

    private static async Task<IResult> ResultsAsync(string key, string? format, ExperimentResultsQuery query, CancellationToken ct)
    {
        if (format is not (null or "json" or "csv")) return Error(400, "format must be json or csv");
        var result = await query.RunAsync(key, ct);
        if (result is null) return NotFound(key);
        if (format != "csv") return Results.Ok(result);
        var csv = new Csv().Row("variant", "weight", "exposed", "converted", "rate", "absoluteLift", "ci95Low", "ci95High",
            "relativeLift", "pValue", "chanceToBeatControl", "adjustedPValue", "sequentialLow", "sequentialHigh", "sequentialSignificant",
            "cupedLift", "cupedLow", "cupedHigh", "varianceReduction");
        foreach (var v in result.Variants)
            csv.Row(v.Key, v.Weight, v.Exposed, v.Converted, v.Rate, v.AbsoluteLift, v.Ci95?[0], v.Ci95?[1], v.RelativeLift, v.PValue, v.ChanceToBeatControl,
                v.AdjustedPValue, v.Sequential?.Ci95[0], v.Sequential?.Ci95[1], v.Sequential?.Significant, v.Cuped?.AbsoluteLift,
                v.Cuped?.Ci95[0], v.Cuped?.Ci95[1], v.Cuped?.VarianceReduction);
        return csv.ToResult();
    }

    private static async Task<IResult> CreateAsync(HttpContext http, ExperimentEditor editor, CancellationToken ct)
    {
        var (input, extra, error) = await ReadAsync(http, allowState: true);
        if (error is not null) return error;
        var result = await editor.CreateAsync(input!, extra == "running", ct);
        return result.Outcome == EditOutcome.Ok
            ? Results.Created($"/api/experiments/{Uri.EscapeDataString(result.Experiment!.Key)}", result.Experiment)
            : Outcome(result);
    }

    private static async Task<IResult> UpdateAsync(string key, HttpContext http, ExperimentEditor editor, CancellationToken ct)
    {
        var (input, _, error) = await ReadAsync(http, allowState: false);
        if (error is not null) return error;
        return Outcome(await editor.UpdateAsync(key, input!, ct));
    }

    private static async Task<IResult> StartAsync(string key, ExperimentEditor editor, CancellationToken ct) =>
        Outcome(await editor.StartAsync(key, ct));

    private static async Task<IResult> StopAsync(string key, ExperimentEditor editor, CancellationToken ct) =>
        Outcome(await editor.StopAsync(key, ct));

    private static IResult Outcome(EditResult r) => r.Outcome switch
    {
        EditOutcome.Ok => Results.Ok(r.Experiment),
        EditOutcome.NotFound => Error(404, r.Error!),
        EditOutcome.Conflict => Error(409, r.Error!),
        _ => Error(400, r.Error!),
    };

    private static IResult NotFound(string key) => Error(404, $"no experiment '{key}'");

    private static IResult Error(int status, string message) => Results.Json(new ExperimentError(message), statusCode: status);

    private static string? Iso(DateTimeOffset? t) => t?.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>Reads and type-checks the JSON body; the error is a ready answer (400, 413 or 415).</summary>
    private static async Task<(ExperimentInput? Input, string? State, IResult? Error)> ReadAsync(HttpContext http, bool allowState)
    {
        var (doc, status, message) = await JsonBody.ReadObjectAsync(http, MaxBodyBytes);
        if (doc is null) return (null, null, Error(status, message!));
        using var _ = doc;
        var root = doc.RootElement;
        try
        {
            var input = new ExperimentInput(
                Text(root, "key"), Text(root, "flagKey"), Text(root, "hypothesis"), Text(root, "goalEvent"),
                Filter(root, "goalFilter"), Time(root, "start", endOfDay: false), Time(root, "end", endOfDay: true), Number(root, "minimumDetectableEffect"),
                Text(root, "analysis"), Metrics(root));
            string? state = null;
            if (allowState)
            {
                state = Text(root, "state");
                if (state is not (null or "draft" or "running")) throw new FieldException("state: draft or running");
            }
            return (input, state, null);
        }
        catch (FieldException ex)
        {
            return (null, null, Error(400, ex.Message));
        }
    }

    private sealed class FieldException(string message) : Exception(message);

    private static JsonElement? Field(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static string? Text(JsonElement root, string name) => Field(root, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } v => v.GetString(),
        _ => throw new FieldException($"{name} must be a string"),
    };

    private static double? Number(JsonElement root, string name) => Field(root, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } v => v.GetDouble(),
        _ => throw new FieldException($"{name} must be a number"),
    };

    private static Dictionary<string, JsonElement>? Filter(JsonElement root, string name, string? path = null)
    {
        if (Field(root, name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Object)
            throw new FieldException($"{path ?? name} must be an object of property values, e.g. {{ \"templateUsed\": \"kanban\" }}");
        return v.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
    }

    /// <summary><c>metrics: [ { event, where?, kind, direction } ]</c>, type-checked; the editor checks the values.</summary>
    private static List<ExperimentMetric>? Metrics(JsonElement root)
    {
        if (Field(root, "metrics") is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Array)
            throw new FieldException("metrics must be an array of { event, where?, kind: secondary|guardrail, direction: increase|decrease }");
        var list = new List<ExperimentMetric>();
        var i = 0;
        foreach (var m in v.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object) throw new FieldException($"metrics[{i}] must be an object");
            string Required(string name) => Field(m, name) switch
            {
                null => throw new FieldException($"metrics[{i}].{name} is required"),
                { ValueKind: JsonValueKind.String } s => s.GetString()!,
                _ => throw new FieldException($"metrics[{i}].{name} must be a string"),
            };
            list.Add(new ExperimentMetric(Required("event"), Filter(m, "where", $"metrics[{i}].where") ?? new Dictionary<string, JsonElement>(StringComparer.Ordinal),
                Required("kind"), Required("direction")));
            i++;
        }
        return list;
    }

    /// <summary>YYYY-MM-DD (the start of that UTC day; for the end, the end of it) or an ISO-8601 time with an offset.</summary>
    private static DateTimeOffset? Time(JsonElement root, string name, bool endOfDay)
    {
        if (Text(root, name) is not { } text) return null;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            return DateTimeOffset.FromUnixTimeMilliseconds(endOfDay ? UtcCalendar.EndMs(day) : UtcCalendar.StartMs(day));
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
            return t;
        throw new FieldException($"{name} must be a date (YYYY-MM-DD) or an ISO-8601 time");
    }
}
