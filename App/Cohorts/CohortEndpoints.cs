using System.Security.Claims;
using System.Text.Json;
using Dashboard.Access;
using Dashboard.Setup;

namespace Dashboard.Cohorts;

public sealed record CohortError(string Error);

public sealed record CohortList(IReadOnlyList<CohortView> Cohorts);

/// <summary>
/// The cohorts API under <c>/api/cohorts</c>: reads for a read key or any session, writes (create,
/// change, delete) for an admin key only, like the experiments API. Bodies are
/// <c>application/json</c> objects of at most <see cref="MaxBodyBytes"/>.
/// </summary>
public static class CohortEndpoints
{
    public const int MaxBodyBytes = 64 * 1024;

    public static RouteGroupBuilder MapCohorts(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/cohorts").WithTags("Cohorts");
        var reads = group.MapGroup("").RequireAuthorization(AccessPolicies.Reader);
        var writes = group.MapGroup("").RequireAuthorization(AccessPolicies.ApiAdmin);

        reads.MapGet("/", async (CohortEditor editor, CancellationToken ct) => Results.Ok(new CohortList(await editor.ListAsync(ct))))
            .WithName("CohortsList")
            .WithSummary("Every cohort with its definition, size and when it was computed")
            .Produces<CohortList>();

        reads.MapGet("/{key}", async (string key, CohortEditor editor, CancellationToken ct) =>
                await editor.FindAsync(key, ct) is { } view ? Results.Ok(view) : NotFound(key))
            .WithName("CohortsGet")
            .WithSummary("One cohort")
            .Produces<CohortView>()
            .Produces<CohortError>(StatusCodes.Status404NotFound);

        writes.MapPost("/", CreateAsync)
            .WithName("CohortsCreate")
            .WithSummary("Create a cohort (admin); its membership is computed at once")
            .WithDescription("Body: { key, name, definition: { traits?: [ { trait, values: [ … ] } ], events?: [ { event, where?: { prop: value }, " +
                             "atLeast, days } ], firstSeen?: { from, to } } }. Every condition must hold (AND): a trait equal to one of the values; " +
                             "the event at least atLeast times in the last days days (now − days ≤ time ≤ now); first seen on a UTC day from..to, " +
                             "both inclusive (YYYY-MM-DD). At most 20 conditions. 409 when the key exists, 413 over 64 KB, 415 when not JSON.")
            .JsonObjectBody()
            .Produces<CohortView>(StatusCodes.Status201Created)
            .Produces<CohortError>(StatusCodes.Status400BadRequest)
            .Produces<CohortError>(StatusCodes.Status409Conflict)
            .Produces<CohortError>(StatusCodes.Status413PayloadTooLarge)
            .Produces<CohortError>(StatusCodes.Status415UnsupportedMediaType);

        writes.MapPut("/{key}", UpdateAsync)
            .WithName("CohortsUpdate")
            .WithSummary("Change a cohort's name or definition (admin); its membership is recomputed at once")
            .WithDescription("Body: name? and/or definition? as for create; the key cannot change.")
            .JsonObjectBody()
            .Produces<CohortView>()
            .Produces<CohortError>(StatusCodes.Status400BadRequest)
            .Produces<CohortError>(StatusCodes.Status404NotFound)
            .Produces<CohortError>(StatusCodes.Status413PayloadTooLarge)
            .Produces<CohortError>(StatusCodes.Status415UnsupportedMediaType);

        writes.MapDelete("/{key}", async (string key, CohortEditor editor, CancellationToken ct) =>
                await editor.DeleteAsync(key, ct) ? Results.NoContent() : NotFound(key))
            .WithName("CohortsDelete")
            .WithSummary("Delete a cohort with its members and sizes (admin)")
            .Produces(StatusCodes.Status204NoContent)
            .Produces<CohortError>(StatusCodes.Status404NotFound);

        return group;
    }

    private static async Task<IResult> CreateAsync(HttpContext http, CohortEditor editor, CancellationToken ct)
    {
        var (input, error) = await ReadAsync(http);
        if (error is not null) return error;
        var result = await editor.CreateAsync(input!, Actor(http), ct);
        return result.Outcome == CohortOutcome.Ok
            ? Results.Created($"/api/cohorts/{Uri.EscapeDataString(result.Cohort!.Key)}", result.Cohort)
            : Outcome(result);
    }

    private static async Task<IResult> UpdateAsync(string key, HttpContext http, CohortEditor editor, CancellationToken ct)
    {
        var (input, error) = await ReadAsync(http);
        if (error is not null) return error;
        return Outcome(await editor.UpdateAsync(key, input!, Actor(http), ct));
    }

    private static string Actor(HttpContext http) => http.User.FindFirstValue(ClaimTypes.Name) ?? "unknown key";

    private static IResult Outcome(CohortEditResult r) => r.Outcome switch
    {
        CohortOutcome.Ok => Results.Ok(r.Cohort),
        CohortOutcome.NotFound => Error(404, r.Error!),
        CohortOutcome.Conflict => Error(409, r.Error!),
        _ => Error(400, r.Error!),
    };

    private static IResult NotFound(string key) => Error(404, $"no cohort '{key}'");

    private static IResult Error(int status, string message) => Results.Json(new CohortError(message), statusCode: status);

    private static async Task<(CohortInput? Input, IResult? Error)> ReadAsync(HttpContext http)
    {
        var (doc, status, message) = await JsonBodies.ReadObjectAsync(http, MaxBodyBytes);
        if (doc is null) return (null, Error(status, message!));
        using var _ = doc;
        var root = doc.RootElement;
        try
        {
            var definition = root.TryGetProperty("definition", out var d) && d.ValueKind != JsonValueKind.Null ? CohortDefinition.Parse(d) : null;
            return (new CohortInput(Text(root, "key"), Text(root, "name"), definition), null);
        }
        catch (CohortDefinitionException ex)
        {
            return (null, Error(400, ex.Message));
        }
    }

    private static string? Text(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
        : v.ValueKind == JsonValueKind.String ? v.GetString()
        : throw new CohortDefinitionException($"{name} must be a string");
}
