using Dashboard.Analytics;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Cohorts;

/// <summary>
/// <c>cohort=KEY</c> on the insight endpoints: one SQL fragment keeping the rows whose user is a
/// member of the cohort at its last computation, added to a query's event reads.
/// </summary>
public static class CohortFilter
{
    public const string Parameter = "$cohort";

    /// <summary><c>AND &lt;column&gt; IN (members of $cohort)</c>, or nothing without a cohort.</summary>
    public static string Sql(string? cohort, string userColumn = "\"UserId\"") =>
        cohort is null ? "" : $" AND {userColumn} IN (SELECT \"UserId\" FROM \"CohortMembers\" WHERE \"CohortKey\" = {Parameter})";

    /// <summary>An <see cref="InsightsParameterException"/> (a 400) when the cohort does not exist.</summary>
    public static async Task RequireAsync(DashboardDbContext db, string? cohort, CancellationToken ct)
    {
        if (cohort is not null && !await db.Cohorts.AnyAsync(c => c.Key == cohort, ct))
            throw new InsightsParameterException($"'cohort': no cohort '{cohort}'");
    }

    /// <summary>
    /// The members, for a query that reads per-user rollups and counts users in C# (activation):
    /// keeping only these users' rows gives the same answer as filtering the events. Through
    /// <see cref="Sql"/>, so the fragment stays the one definition of membership.
    /// </summary>
    public static async Task<HashSet<long>?> MembersAsync(DashboardDbContext db, string? cohort, CancellationToken ct)
    {
        if (cohort is null) return null;
        await RequireAsync(db, cohort, ct);
        return [.. await db.Database.SqlQueryRaw<long>($"SELECT \"Id\" AS \"Value\" FROM \"Users\" WHERE 1 = 1{Sql(cohort, "\"Id\"").Replace(Parameter, "{0}")}", cohort)
            .ToListAsync(ct)];
    }

    /// <summary>The query-string value: null when absent or empty.</summary>
    public static string? Parse(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
