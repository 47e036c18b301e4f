using Dashboard.Access;
using Dashboard.Data;

namespace Dashboard.Schema;

public static class SchemaEndpoints
{
    public static IEndpointRouteBuilder MapSchemaEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGenerated("/api/schema/telemetry.ts", "TelemetryTypeScript", "application/typescript",
            "The event taxonomy as the TypeScript discriminated union TelemetryEvent.", TypeScriptGenerator.Generate);
        app.MapGenerated("/api/schema/telemetry.cs", "TelemetryCSharp", "text/x-csharp",
            "The event taxonomy as C# records implementing Dashboard.Client.ITelemetryEvent (namespace Dashboard.Telemetry).", CSharpGenerator.Generate);
        return app;
    }

    private static void MapGenerated(this IEndpointRouteBuilder app, string path, string name, string contentType, string summary,
        Func<IReadOnlyList<EventDefinition>, string> generate) =>
        app.MapGet(path, (TaxonomyCache taxonomy) => Results.Text(generate(taxonomy.Current.Definitions), contentType + "; charset=utf-8"))
            .WithTags("Schema")
            .WithName(name)
            .WithSummary(summary)
            .Produces<string>(contentType: contentType)
            .RequireAuthorization(AccessPolicies.Reader);
}
