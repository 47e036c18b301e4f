using Dashboard.Data;
using Dashboard.Flags;
using Dashboard.Rollups;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Annotations;

public static class AnnotationKinds
{
    public const string Flag = "flag", Experiment = "experiment", Taxonomy = "taxonomy", Note = "note";
}

/// <summary>
/// One dated change: <c>id</c> is the stored annotation's (notes, experiment and taxonomy records),
/// null for a flag change, which comes from the flag's audit log. <c>link</c> is the dashboard
/// page of what changed, relative to the app's base (null for a note).
/// </summary>
public sealed record Annotation(long? Id, DateTimeOffset At, string Kind, string Text, string By, string? Link);

/// <summary>
/// The annotations of a time range: every flag change in the flag audit log (a create, an edit or a
/// restore, described field by field as the audit page does), and every stored annotation (experiment
/// starts and stops, taxonomy changes, notes). A change belongs to the inclusive UTC days
/// [from, to] when its time is in [start of from, end of to); ordered by time, then kind, then id.
/// </summary>
public sealed class AnnotationsQuery(IDbContextFactory<DashboardDbContext> dbFactory)
{
    /// <summary>At most this many annotations in one answer (the newest are dropped past it).</summary>
    public const int MaxRows = 1_000;

    public Task<IReadOnlyList<Annotation>> RangeAsync(DateOnly from, DateOnly to, CancellationToken ct = default) =>
        RangeAsync(UtcCalendar.StartMs(from), UtcCalendar.EndMs(to), ct);

    /// <summary>The annotations with a time in [<paramref name="fromMs"/>, <paramref name="endMs"/>).</summary>
    public async Task<IReadOnlyList<Annotation>> RangeAsync(long fromMs, long endMs, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var flags = await db.FlagAudit.AsNoTracking().Where(a => a.At >= fromMs && a.At < endMs)
            .OrderBy(a => a.At).ThenBy(a => a.Id).Take(MaxRows).ToListAsync(ct);
        var stored = await db.Annotations.AsNoTracking().Where(a => a.At >= fromMs && a.At < endMs)
            .OrderBy(a => a.At).ThenBy(a => a.Id).Take(MaxRows).ToListAsync(ct);
        return flags.Select(FromFlagAudit).Concat(stored.Select(From))
            .OrderBy(a => a.At).ThenBy(a => a.Kind, StringComparer.Ordinal).ThenBy(a => a.Id)
            .Take(MaxRows).ToList();
    }

    public static Annotation From(AnnotationRecord r) =>
        new(r.Id, DateTimeOffset.FromUnixTimeMilliseconds(r.At), r.Kind, r.Text, r.By, r.Link);

    private static Annotation FromFlagAudit(FlagAuditEntry a)
    {
        var before = FlagState.FromJson(a.Before);
        var after = FlagState.FromJson(a.After);
        var verb = a.Action switch { FlagAdmin.Create => "created", FlagAdmin.Restore => "restored", _ => "changed" };
        var changes = before is null ? [] : FlagDiff.Describe(before, after);
        var text = changes.Count == 0 ? $"Flag {a.FlagKey} {verb}" : $"Flag {a.FlagKey} {verb}: {string.Join("; ", changes)}";
        return new Annotation(null, DateTimeOffset.FromUnixTimeMilliseconds(a.At), AnnotationKinds.Flag, text, a.Actor,
            "flags/" + Uri.EscapeDataString(a.FlagKey));
    }
}
