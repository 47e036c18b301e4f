using Dashboard.Access;

namespace Dashboard.People;

public sealed record PeopleError(string Error);

/// <summary><c>GET /api/people/{id}</c>: one person, for a read or admin key or a signed-in session.</summary>
public static class PeopleEndpoints
{
    public static IEndpointRouteBuilder MapPeople(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/people/{id}", async (string id, PersonQuery people, CancellationToken ct) =>
                await people.FindAsync(id, ct) is { } person
                    ? Results.Ok(person)
                    : Results.Json(new PeopleError($"no person with the id '{(id.Length <= 64 ? id : id[..64] + "…")}'"), statusCode: StatusCodes.Status404NotFound))
            .RequireAuthorization(AccessPolicies.Reader)
            .WithTags("People")
            .WithName("Person")
            .WithSummary("One person: traits, first and last seen, merged ids, account, experiments")
            .WithDescription("id: a userId or anonymousId; an anonymous id merged into a user (identify with both ids, or alias) answers that user, " +
                             "whose mergedIds list every anonymous id merged into them.")
            .Produces<Person>()
            .Produces<PeopleError>(StatusCodes.Status404NotFound);
        return app;
    }
}
