using System.Security.Claims;
using System.Text.Json;
using Dashboard.Access;

namespace Dashboard.Flags;

/// <summary>The body of <c>PUT /api/flags/{key}</c>: the flag's whole state (the key comes from the path).</summary>
public sealed record FlagInput(string? Description, string? Owner, bool? Enabled, decimal? RolloutPercent,
    List<FlagRule>? Rules, List<FlagVariant>? Variants);

public sealed record FlagView(string Key, string Description, string Owner, bool Enabled, decimal RolloutPercent,
    IReadOnlyList<FlagRule> Rules, IReadOnlyList<FlagVariant> Variants, string Status, DateTimeOffset UpdatedAt, string UpdatedBy,
    long EvaluationsLast24Hours, DateTimeOffset? LastEvaluatedAt, bool Stale, string? StaleReason)
{
    public static FlagView From(FlagSummary s) => new(s.Flag.Key, s.Flag.Description, s.Flag.Owner, s.Flag.Enabled, s.Flag.RolloutPercent,
        s.Flag.Rules, s.Flag.Variants, s.Status.ToString().ToLowerInvariant(), s.UpdatedAt, s.UpdatedBy, s.EvaluationsLast24Hours,
        s.LastEvaluatedAt, s.Stale, s.StaleReason);
}

public sealed record FlagList(IReadOnlyList<FlagView> Flags);

public sealed record FlagAuditView(long Id, string Actor, DateTimeOffset At, string Action, FlagState? Before, FlagState? After, IReadOnlyList<string> Changes);

public sealed record FlagAuditList(IReadOnlyList<FlagAuditView> Entries);

public sealed record FlagError(string Error, IReadOnlyList<string>? Errors = null);

/// <summary>
/// <c>/api/flags</c>: the list, one flag, its audit log (readers), and the admin's <c>PUT</c> that
/// creates or replaces a flag's state, recorded in the audit log under the key's name.
/// </summary>
public static class FlagEndpoints
{
    private const int MaxBodyBytes = 262_144;

    public static IEndpointRouteBuilder MapFlagApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/flags").WithTags("Flags");

        // On the app, not the group, so the path is /api/flags without a trailing slash.
        app.MapGet("/api/flags", async (FlagQueries queries, string? search, CancellationToken ct) =>
                new FlagList((await queries.ListAsync(search, ct)).Select(FlagView.From).ToList()))
            .RequireAuthorization(AccessPolicies.Reader)
            .WithTags("Flags")
            .WithName("FlagsList")
            .WithSummary("Every flag with its state, status, last change and evaluations in the last 24 hours")
            .WithDescription("search: part of a key, description or owner. status is off, on, percentage or targeted; stale flags have no " +
                             "evaluation for 30 days or are fully on for 30 days.")
            .Produces<FlagList>()
            .Produces<AccessError>(StatusCodes.Status401Unauthorized)
            .Produces<AccessError>(StatusCodes.Status403Forbidden);

        group.MapGet("/{key}", async (string key, FlagQueries queries, CancellationToken ct) =>
                await queries.GetAsync(key, ct) is { } d ? Results.Ok(FlagView.From(d.Summary)) : NotFound(key))
            .RequireAuthorization(AccessPolicies.Reader)
            .WithName("FlagsGet")
            .WithSummary("One flag")
            .Produces<FlagView>()
            .Produces<AccessError>(StatusCodes.Status401Unauthorized)
            .Produces<AccessError>(StatusCodes.Status403Forbidden)
            .Produces<FlagError>(StatusCodes.Status404NotFound);

        group.MapGet("/{key}/audit", async (string key, FlagQueries queries, CancellationToken ct) =>
                await queries.AuditAsync(key, ct) is { } rows
                    ? Results.Ok(new FlagAuditList(rows.Select(r => new FlagAuditView(r.Id, r.Actor, r.At, r.Action, r.Before, r.After, r.Changes)).ToList()))
                    : NotFound(key))
            .RequireAuthorization(AccessPolicies.Reader)
            .WithName("FlagsAudit")
            .WithSummary("A flag's changes, newest first: who, when, the state before and after, and the change in words")
            .Produces<FlagAuditList>()
            .Produces<AccessError>(StatusCodes.Status401Unauthorized)
            .Produces<AccessError>(StatusCodes.Status403Forbidden)
            .Produces<FlagError>(StatusCodes.Status404NotFound);

        group.MapPut("/{key}", PutAsync)
            .RequireAuthorization(AccessPolicies.ApiAdmin)
            .DisableAntiforgery()
            .WithName("FlagsPut")
            .WithSummary("Create or replace a flag (admin)")
            .WithDescription("Body { description, owner, enabled, rolloutPercent (0-100, two decimals), rules: [ { attribute, operator: equals|in, " +
                             "values: [..], value: true|false, variant? } ], variants: [ { key, weight } ] (weights in percent summing to 100) }. " +
                             "201 when created, 200 when replaced; the change is in the audit log under the key's name.")
            .Accepts<FlagInput>("application/json")
            .Produces<FlagView>()
            .Produces<FlagView>(StatusCodes.Status201Created)
            .Produces<FlagError>(StatusCodes.Status400BadRequest)
            .Produces<AccessError>(StatusCodes.Status401Unauthorized)
            .Produces<AccessError>(StatusCodes.Status403Forbidden)
            .Produces<FlagError>(StatusCodes.Status413PayloadTooLarge);
        return app;
    }

    private static IResult NotFound(string key) => Results.Json(new FlagError($"no flag has the key '{key}'"), statusCode: 404);

    private static async Task<IResult> PutAsync(string key, HttpContext http, FlagAdmin admin, FlagQueries queries, CancellationToken ct)
    {
        if (http.Request.ContentLength > MaxBodyBytes) return TooLarge();
        FlagInput? input;
        try
        {
            using var limited = new MemoryStream();
            var buffer = new byte[16384];
            int n;
            while ((n = await http.Request.Body.ReadAsync(buffer, ct)) > 0)
            {
                limited.Write(buffer, 0, n);
                if (limited.Length > MaxBodyBytes) return TooLarge();
            }
            limited.Position = 0;
            input = await JsonSerializer.DeserializeAsync<FlagInput>(limited, FlagState.Json, ct);
        }
        catch (JsonException ex)
        {
            return Results.Json(new FlagError("the body is not a valid flag: " + ex.Message), statusCode: 400);
        }
        if (input is null) return Results.Json(new FlagError("the body must be a JSON object"), statusCode: 400);
        var missing = new List<string>();
        if (input.Enabled is null) missing.Add("enabled");
        if (input.RolloutPercent is null) missing.Add("rolloutPercent");
        if (missing.Count > 0) return Results.Json(new FlagError("missing fields: " + string.Join(", ", missing)), statusCode: 400);

        var state = new FlagState(key, input.Description ?? "", input.Owner ?? "", input.Enabled!.Value, input.RolloutPercent!.Value,
            input.Rules ?? [], input.Variants ?? []);
        var actor = http.User.FindFirstValue(ClaimTypes.Name) ?? "unknown key";
        var result = await admin.SaveAsync(state, actor, ct);
        if (!result.Saved) return Results.Json(new FlagError("the flag is not valid", result.Errors), statusCode: 400);
        var view = FlagView.From((await queries.GetAsync(key.Trim(), ct))!.Summary);
        return result.Created ? Results.Json(view, statusCode: 201) : Results.Ok(view);
    }

    private static IResult TooLarge() => Results.Json(new FlagError($"the request body is larger than {MaxBodyBytes} bytes"), statusCode: 413);
}
