using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Dashboard.Access;
using Dashboard.Analytics;
using Dashboard.Setup;

namespace Dashboard.Annotations;

public sealed record AnnotationError(string Error);

/// <summary>
/// <c>/api/annotations</c>: the annotations of a range for a read or admin key or any session; an
/// admin key adds and deletes notes (people do it on the annotations page, whose forms carry
/// antiforgery tokens). Errors are <c>{ "error" }</c>.
/// </summary>
public static class AnnotationEndpoints
{
    public const int MaxBodyBytes = 16 * 1024;

    public static IEndpointRouteBuilder MapAnnotations(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/annotations", ListAsync)
            .RequireAuthorization(AccessPolicies.Reader)
            .WithTags("Annotations")
            .WithName("AnnotationsList")
            .WithSummary("What changed in a range: flag changes, experiment starts and stops, taxonomy changes and notes")
            .WithDescription("from, to: inclusive UTC days (YYYY-MM-DD, at most 400 days). Answers [ { id, at, kind: flag|experiment|taxonomy|note, text, by, link } ] " +
                             "ordered by time: id is null for a flag change (from the flag's audit log); link is the dashboard page of what changed, " +
                             $"relative to the app's base (null for a note). At most {AnnotationsQuery.MaxRows}.")
            .Produces<List<Annotation>>()
            .Produces<AnnotationError>(StatusCodes.Status400BadRequest)
            .Produces<AccessError>(StatusCodes.Status401Unauthorized)
            .Produces<AccessError>(StatusCodes.Status403Forbidden)
            .WithQueryLimits();

        app.MapPost("/api/annotations", AddAsync)
            .RequireAuthorization(AccessPolicies.ApiAdmin)
            .WithTags("Annotations")
            .WithName("AnnotationsAdd")
            .WithSummary("Add a note (admin), e.g. \"v2.3 released\"")
            .WithDescription($"Body: {{ at, text }}. at: an ISO-8601 time or a YYYY-MM-DD day (its start, UTC), at most a day from now; text: 1 to {AnnotationLog.MaxTextLength} characters. " +
                             "The note is recorded under the key's name. 413 over 16 KB, 415 when not JSON.")
            .JsonObjectBody()
            .Produces<Annotation>(StatusCodes.Status201Created)
            .Produces<AnnotationError>(StatusCodes.Status400BadRequest)
            .Produces<AccessError>(StatusCodes.Status401Unauthorized)
            .Produces<AccessError>(StatusCodes.Status403Forbidden)
            .Produces<AnnotationError>(StatusCodes.Status413PayloadTooLarge)
            .Produces<AnnotationError>(StatusCodes.Status415UnsupportedMediaType);

        app.MapDelete("/api/annotations/{id}", DeleteAsync)
            .RequireAuthorization(AccessPolicies.ApiAdmin)
            .WithTags("Annotations")
            .WithName("AnnotationsDelete")
            .WithSummary("Delete a note (admin); the records of changes stay (409)")
            .Produces(StatusCodes.Status204NoContent)
            .Produces<AnnotationError>(StatusCodes.Status400BadRequest)
            .Produces<AccessError>(StatusCodes.Status401Unauthorized)
            .Produces<AccessError>(StatusCodes.Status403Forbidden)
            .Produces<AnnotationError>(StatusCodes.Status404NotFound)
            .Produces<AnnotationError>(StatusCodes.Status409Conflict);
        return app;
    }

    private static async Task<IResult> ListAsync(string? from, string? to, AnnotationsQuery query, CancellationToken ct)
    {
        DateOnly f, t;
        try
        {
            (f, t) = InsightsParameters.Range(from, to);
        }
        catch (InsightsParameterException ex)
        {
            return Error(400, ex.Message);
        }
        return Results.Ok(await query.RangeAsync(f, t, ct));
    }

    private static async Task<IResult> AddAsync(HttpContext http, AnnotationLog log, CancellationToken ct)
    {
        var (doc, status, error) = await JsonBodies.ReadObjectAsync(http, MaxBodyBytes);
        if (doc is null) return Error(status, error!);
        using var _ = doc;
        var root = doc.RootElement;
        var missing = new[] { "at", "text" }.Where(n => !root.TryGetProperty(n, out var v) || v.ValueKind == JsonValueKind.Null).ToList();
        if (missing.Count > 0) return Error(400, "missing fields: " + string.Join(", ", missing));
        var at = root.GetProperty("at");
        var text = root.GetProperty("text");
        if (text.ValueKind != JsonValueKind.String) return Error(400, "text must be a string");
        if (at.ValueKind != JsonValueKind.String || Time(at.GetString()!) is not { } time)
            return Error(400, "at must be an ISO-8601 time or a date (YYYY-MM-DD) as a string");
        var by = http.User.FindFirstValue(ClaimTypes.Name) ?? "unknown key";
        var result = await log.AddNoteAsync(time, text.GetString(), by, ct);
        return result.Outcome == NoteOutcome.Ok
            ? Results.Created($"/api/annotations/{result.Annotation!.Id}", result.Annotation)
            : Error(400, result.Error!);
    }

    private static async Task<IResult> DeleteAsync(string id, AnnotationLog log, CancellationToken ct)
    {
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            return Error(400, $"the id must be a whole number, got '{(id.Length <= 20 ? id : id[..20] + "…")}'");
        var result = await log.DeleteNoteAsync(n, ct);
        return result.Outcome switch
        {
            NoteOutcome.Ok => Results.NoContent(),
            NoteOutcome.NotFound => Error(404, result.Error!),
            _ => Error(409, result.Error!),
        };
    }

    /// <summary>An ISO-8601 time (a time without offset is UTC) or a day, as its start.</summary>
    public static DateTimeOffset? Time(string text)
    {
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            return new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? t : null;
    }

    private static IResult Error(int status, string message) => Results.Json(new AnnotationError(message), statusCode: status);
}
