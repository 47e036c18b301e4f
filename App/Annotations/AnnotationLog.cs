using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Annotations;

public enum NoteOutcome { Ok, Invalid, NotFound, Conflict }

public sealed record NoteResult(NoteOutcome Outcome, Annotation? Annotation, string? Error);

/// <summary>
/// Writes annotations. <see cref="Record"/> adds the record of a change to the caller's context, so
/// it commits with the change itself (experiment starts and stops, taxonomy changes). Notes are an
/// admin's: a text of 1 to <see cref="MaxTextLength"/> characters at a time no later than a day from
/// now and not before 1970; only notes can be deleted (the other records are the history of changes).
/// </summary>
public sealed class AnnotationLog(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    public const int MaxTextLength = 500;

    public static void Record(DashboardDbContext db, string kind, long at, string text, string by, string? link) =>
        db.Annotations.Add(new AnnotationRecord { At = at, Kind = kind, Text = text, By = by, Link = link, CreatedAt = at });

    public async Task<NoteResult> AddNoteAsync(DateTimeOffset at, string? text, string by, CancellationToken ct = default)
    {
        var trimmed = text?.Trim() ?? "";
        if (trimmed.Length == 0) return new(NoteOutcome.Invalid, null, "text is required");
        if (trimmed.Length > MaxTextLength) return new(NoteOutcome.Invalid, null, $"text: at most {MaxTextLength} characters");
        var now = clock.GetUtcNow();
        if (at > now.AddDays(1)) return new(NoteOutcome.Invalid, null, "at: at most a day from now");
        if (at.ToUnixTimeMilliseconds() < 0) return new(NoteOutcome.Invalid, null, "at: not before 1970-01-01");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var record = new AnnotationRecord
        {
            At = at.ToUnixTimeMilliseconds(), Kind = AnnotationKinds.Note, Text = trimmed, By = by, CreatedAt = now.ToUnixTimeMilliseconds(),
        };
        db.Annotations.Add(record);
        await db.SaveChangesAsync(ct);
        return new(NoteOutcome.Ok, AnnotationsQuery.From(record), null);
    }

    public async Task<NoteResult> DeleteNoteAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var kind = await db.Annotations.Where(a => a.Id == id).Select(a => a.Kind).FirstOrDefaultAsync(ct);
        if (kind is null) return new(NoteOutcome.NotFound, null, $"no annotation has the id {id}");
        if (kind != AnnotationKinds.Note)
            return new(NoteOutcome.Conflict, null, $"annotation {id} records a change ({kind}); only notes can be deleted");
        await db.Annotations.Where(a => a.Id == id).ExecuteDeleteAsync(ct);
        return new(NoteOutcome.Ok, null, null);
    }
}
