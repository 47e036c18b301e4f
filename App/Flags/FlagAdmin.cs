using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Flags;

public sealed record FlagSaveResult(bool Saved, bool Created, IReadOnlyList<string> Errors)
{
    public static FlagSaveResult Invalid(params IReadOnlyList<string> errors) => new(false, false, errors);
}

/// <summary>
/// Admin writes to flags. Every change is written with its audit entry (who, when, the state
/// before and after) in one transaction; a save that changes nothing writes nothing. After the
/// commit the in-memory flag state is reloaded, so evaluations in this process serve the change at once.
/// </summary>
public sealed class FlagAdmin(IDbContextFactory<DashboardDbContext> dbFactory, FlagCache cache, TimeProvider clock)
{
    public const string Create = "create", Update = "update", Restore = "restore";

    public async Task<FlagSaveResult> SaveAsync(FlagState state, string actor, CancellationToken ct = default) =>
        await SaveAsync(state, actor, null, ct);

    /// <summary>Brings a flag back to the state it had right after the audit entry <paramref name="auditId"/>.</summary>
    public async Task<FlagSaveResult> RestoreAsync(string key, long auditId, string actor, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var entry = await db.FlagAudit.AsNoTracking().FirstOrDefaultAsync(a => a.Id == auditId && a.FlagKey == key, ct);
        if (FlagState.FromJson(entry?.After) is not { } state)
            return FlagSaveResult.Invalid($"There is no earlier state {auditId} of the flag '{key}'.");
        return await SaveAsync(state, actor, Restore, ct);
    }

    private async Task<FlagSaveResult> SaveAsync(FlagState state, string actor, string? action, CancellationToken ct)
    {
        state = state.Normalized();
        var errors = state.Validate();
        if (errors.Count > 0) return FlagSaveResult.Invalid(errors);

        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var record = await db.Flags.FirstOrDefaultAsync(f => f.Key == state.Key, ct);
            var before = record is null ? null : FlagState.FromRecord(record);
            var after = state.ToJson();
            if (before is not null && before.ToJson() == after) return new FlagSaveResult(true, false, []);
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            if (record is null)
            {
                record = new FlagRecord { Key = state.Key };
                db.Flags.Add(record);
            }
            state.ApplyTo(record);
            record.UpdatedAt = now;
            record.UpdatedBy = actor;
            db.FlagAudit.Add(new FlagAuditEntry
            {
                FlagKey = state.Key,
                Actor = actor,
                At = now,
                Action = action ?? (before is null ? Create : Update),
                Before = before?.ToJson(),
                After = after,
            });
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            await tx.DisposeAsync();
            // The periodic reload would serve the change within a second anyway; this makes it immediate here.
            await cache.ReloadAsync(ct);
            return new FlagSaveResult(true, before is null, []);
        }
    }
}
