using Dashboard.Access;
using Dashboard.Data;
using Dashboard.Ingest;
using Dashboard.Rollups;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Operations;

public sealed record Readiness(string Status, double? RollupLagSeconds, IReadOnlyList<string> Reasons);

/// <summary>
/// <c>GET /readyz</c> (a read or admin key, or a session): 200 when the store answers, the batch
/// writer runs and the rollups are less than a minute behind (the oldest event they have not
/// folded came in under a minute ago), else 503 with the reasons. <c>/healthz</c> only says the
/// process is alive.
/// </summary>
public static class ReadinessEndpoints
{
    public static readonly TimeSpan MaxRollupLag = TimeSpan.FromMinutes(1);

    public static IEndpointRouteBuilder MapReadiness(this IEndpointRouteBuilder app)
    {
        app.MapGet("/readyz", CheckAsync)
            .RequireAuthorization(AccessPolicies.Reader)
            .WithTags("Operations")
            .WithName("Readiness")
            .WithSummary("Ready to serve: store reachable, writer running, rollups under a minute behind")
            .Produces<Readiness>()
            .Produces<Readiness>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<IResult> CheckAsync(IDbContextFactory<DashboardDbContext> dbFactory, EventWriter writer, TimeProvider clock,
        CancellationToken ct)
    {
        var reasons = new List<string>();
        double? lag = null;
        if (writer.ExecuteTask is not { IsCompleted: false }) reasons.Add("the batch writer is not running");
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            db.Database.SetCommandTimeout(TimeSpan.FromSeconds(5));
            lag = DashboardGauges.LagSeconds(await Rollup.OldestUnfoldedAsync(db, ct), clock);
            if (lag >= MaxRollupLag.TotalSeconds) reasons.Add($"the rollups are {lag:0} s behind (at most {MaxRollupLag.TotalSeconds:0} s)");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            reasons.Add($"the store does not answer: {ex.Message}");
        }
        var answer = new Readiness(reasons.Count == 0 ? "ready" : "not ready", lag, reasons);
        return Results.Json(answer, statusCode: reasons.Count == 0 ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
