using Dashboard.Access;

namespace Dashboard.Schema;

public static class SchemaEndpoints
{
    public static IEndpointRouteBuilder MapSchemaEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/schema/telemetry.ts", (TaxonomyCache taxonomy) =>
                Results.Text(TypeScriptGenerator.Generate(taxonomy.Current.Definitions), "application/typescript; charset=utf-8"))
            .WithTags("Schema")
            .WithName("TelemetryTypeScript")
            .WithSummary("The event taxonomy as the TypeScript discriminated union TelemetryEvent.")
            .Produces<string>(contentType: "application/typescript")
            .RequireAuthorization(AccessPolicies.Reader);
        return app;
    }
}
