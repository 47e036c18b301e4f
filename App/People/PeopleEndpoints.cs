using Dashboard.Access;
using Dashboard.Analytics;

namespace Dashboard.People;

public sealed record PeopleError(string Error);

/// <summary>
/// <c>/api/people</c>: the people list with search, one person, and a person's events; for a read or
/// admin key or a signed-in session. A parameter the API cannot use is a 400 with <c>{ "error" }</c>.
/// </summary>
public static class PeopleEndpoints
{
    public static IEndpointRouteBuilder MapPeople(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/people")
            .RequireAuthorization(AccessPolicies.Reader)
            .WithTags("People")
            .AddEndpointFilter(async (context, next) =>
            {
                try
                {
                    return await next(context);
                }
                catch (Exception ex) when (ex is PeopleParameterException or InsightsParameterException)
                {
                    return Results.Json(new PeopleError(ex.Message), statusCode: StatusCodes.Status400BadRequest);
                }
            })
            .WithQueryLimits();

        group.MapGet("", async (string? search, string? limit, string? cursor, string? format, PeopleQuery people, CancellationToken ct) =>
            {
                var size = PeopleCursor.Limit(limit);
                var after = PeopleCursor.Parse("cursor", cursor);
                var output = InsightsParameters.Format(format);
                var page = await people.SearchAsync(search, size, after, ct);
                if (output == InsightsFormat.Json) return Results.Ok(page);
                var csv = new Csv().Row("id", "firstSeen", "lastSeen", "traits");
                foreach (var p in page.People) csv.Row(p.Id, p.FirstSeen, p.LastSeen, p.Traits.GetRawText());
                return csv.ToResult();
            })
            .WithName("People")
            .WithSummary("People, newest seen first, with search and a keyset cursor")
            .WithDescription("search: the start of an id (case-insensitive for ASCII letters); TRAIT:VALUE also finds people whose stored trait equals VALUE " +
                             "(compared as text; numbers and booleans as JSON text, e.g. plan:team, seats:5, beta:true). Anonymous ids merged into a user are not listed " +
                             "on their own. limit: 1 to 200 (default 50); cursor: the nextCursor of the previous page (null on the last page). " +
                             "With format=csv the page comes as a text/csv table (id, firstSeen, lastSeen, traits as JSON).")
            .Produces<PeoplePage>()
            .Produces<PeopleError>(StatusCodes.Status400BadRequest);

        group.MapGet("/{id}", async (string id, PersonQuery people, CancellationToken ct) =>
                await people.FindAsync(id, ct) is { } person ? Results.Ok(person) : NotFound(id))
            .WithName("Person")
            .WithSummary("One person: traits, first and last seen, merged ids, account, experiments, flags now")
            .WithDescription("id: a userId or anonymousId; an anonymous id merged into a user (identify with both ids, or alias) answers that user, " +
                             "whose mergedIds list every anonymous id merged into them. flags: every flag evaluated now with the person's id as the targeting key " +
                             "and their stored traits as attributes (value as OFREP answers it, variant, reason DISABLED, TARGETING_MATCH or SPLIT); " +
                             "nothing is counted or recorded as an exposure.")
            .Produces<Person>()
            .Produces<PeopleError>(StatusCodes.Status404NotFound);

        group.MapGet("/{id}/events", async (string id, string? before, string? limit, PersonEventsQuery events, CancellationToken ct) =>
            {
                var size = PeopleCursor.Limit(limit);
                var from = PeopleCursor.Parse("before", before);
                return await events.RunAsync(id, size, from, ct) is { } page ? Results.Ok(page) : NotFound(id);
            })
            .WithName("PersonEvents")
            .WithSummary("A person's events, newest first, paged")
            .WithDescription("Ordered by timestamp then arrival, newest first. limit: 1 to 200 (default 50); before: the nextBefore of the previous page " +
                             "(null on the last page). A merged anonymous id answers its user's events.")
            .Produces<PersonEventsPage>()
            .Produces<PeopleError>(StatusCodes.Status400BadRequest)
            .Produces<PeopleError>(StatusCodes.Status404NotFound);
        return app;
    }

    private static IResult NotFound(string id) =>
        Results.Json(new PeopleError($"no person with the id '{(id.Length <= 64 ? id : id[..64] + "…")}'"), statusCode: StatusCodes.Status404NotFound);
}
