using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Schema;

public sealed record EventDefinitionRow(int Id, string Name, string Description, int PropertyCount,
    long Volume, DateTimeOffset? LastSeen, int Violations);

public sealed record UndefinedEventRow(string Name, int Violations);

public sealed record EventDefinitionsResult(IReadOnlyList<EventDefinitionRow> Defined, IReadOnlyList<UndefinedEventRow> Undefined);

/// <summary>
/// Each event definition with its volume and last-seen time (the writer's running totals in
/// EventStats) and its violations (quarantined rows not yet replayed, grouped by event name).
/// Names that were sent but are not defined are listed apart with their violation counts.
/// </summary>
public sealed class EventDefinitionsQuery(IDbContextFactory<DashboardDbContext> dbFactory)
{
    public async Task<EventDefinitionsResult> RunAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var defs = await db.EventDefinitions.AsNoTracking().OrderBy(d => d.Name).ToListAsync(ct);
        var stats = await db.EventStats.AsNoTracking().ToDictionaryAsync(s => s.Name, ct);
        var violations = await db.Quarantine.Where(q => q.ReplayedAt == null)
            .GroupBy(q => q.EventName)
            .Select(g => new { Name = g.Key, Count = g.Count() })
            .ToListAsync(ct);
        var violationsByName = violations.Where(v => v.Name != null).ToDictionary(v => v.Name!, v => v.Count);

        var rows = defs.Select(d =>
        {
            stats.TryGetValue(d.Name, out var s);
            return new EventDefinitionRow(d.Id, d.Name, d.Description, d.Properties.Count, s?.Count ?? 0,
                s is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(s.LastSeen),
                violationsByName.GetValueOrDefault(d.Name));
        }).ToList();
        var defined = defs.Select(d => d.Name).ToHashSet();
        var undefined = violations
            .Where(v => v.Name is null || !defined.Contains(v.Name))
            .Select(v => new UndefinedEventRow(v.Name ?? "(no event name)", v.Count))
            .OrderByDescending(v => v.Violations)
            .ToList();
        return new EventDefinitionsResult(rows, undefined);
    }
}
