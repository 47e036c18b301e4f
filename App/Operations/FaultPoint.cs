namespace Dashboard.Operations;

/// <summary>
/// Named places where the crash tests stop the process on purpose. When the environment variable
/// <c>DASHBOARD_FAULT_POINT</c> names a point, the process writes <c>fault point reached: NAME</c>
/// to standard output on reaching it and waits there for ever, so a test can kill it (SIGKILL) at
/// exactly that moment: inside the rollup job's fold transaction, or inside a migration's
/// transaction while EF Core's migration lock is held. Unset, a point costs one comparison.
/// </summary>
public static class FaultPoint
{
    public const string Variable = "DASHBOARD_FAULT_POINT";

    /// <summary>The rollup job has folded a chunk and not yet moved the watermark or committed.</summary>
    public const string RollupFold = "rollup-fold";

    /// <summary>A migration's commands have run and its history row is being written, before its commit.</summary>
    public const string Migration = "migration";

    private static readonly string? Armed = Environment.GetEnvironmentVariable(Variable);

    public static bool IsArmed(string name) => Armed == name;

    public static void Reach(string name)
    {
        if (Armed != name) return;
        Console.Out.WriteLine($"fault point reached: {name}");
        Console.Out.Flush();
        Thread.Sleep(Timeout.Infinite);
    }
}

/// <summary>Reaches <see cref="FaultPoint.Migration"/> when EF Core writes a migration's history row (inside the migration's transaction).</summary>
public sealed class MigrationFaultPoint : Microsoft.EntityFrameworkCore.Diagnostics.DbCommandInterceptor
{
    public override ValueTask<Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<int>> NonQueryExecutingAsync(
        System.Data.Common.DbCommand command, Microsoft.EntityFrameworkCore.Diagnostics.CommandEventData eventData,
        Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (command.CommandText.Contains("INSERT INTO \"__EFMigrationsHistory\"", StringComparison.Ordinal)) FaultPoint.Reach(FaultPoint.Migration);
        return ValueTask.FromResult(result);
    }
}
