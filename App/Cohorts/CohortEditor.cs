using System.Text.RegularExpressions;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Cohorts;

public sealed record CohortView(string Key, string Name, CohortDefinition Definition, long Size, DateTimeOffset? ComputedAt,
    DateTimeOffset UpdatedAt, string UpdatedBy);

public sealed record CohortInput(string? Key, string? Name, CohortDefinition? Definition);

public enum CohortOutcome { Ok, Invalid, NotFound, Conflict }

public sealed record CohortEditResult(CohortOutcome Outcome, CohortView? Cohort = null, string? Error = null);

/// <summary>
/// Creates, changes and deletes cohorts. A create or a change computes the membership at once, so
/// the answer carries the cohort's size; a delete removes the members in short transactions first.
/// </summary>
public sealed partial class CohortEditor(IDbContextFactory<DashboardDbContext> dbFactory, CohortMembership membership, TimeProvider clock)
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")]
    private static partial Regex KeyPattern();

    public async Task<IReadOnlyList<CohortView>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Cohorts.AsNoTracking().OrderBy(c => c.Name).ThenBy(c => c.Key).ToListAsync(ct);
        return [.. rows.Select(View)];
    }

    public async Task<CohortView?> FindAsync(string key, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Cohorts.AsNoTracking().FirstOrDefaultAsync(c => c.Key == key, ct) is { } row ? View(row) : null;
    }

    public async Task<CohortEditResult> CreateAsync(CohortInput input, string actor, CancellationToken ct = default)
    {
        if (input.Key is null) return Invalid("key is required");
        if (!KeyPattern().IsMatch(input.Key)) return Invalid("key: 1 to 100 letters, digits, '_', '-' or '.', starting with a letter or digit");
        if (NameError(input.Name, required: true) is { } nameError) return Invalid(nameError);
        if (input.Definition is null) return Invalid("definition is required");
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            if (await db.Cohorts.AnyAsync(c => c.Key == input.Key, ct))
                return new CohortEditResult(CohortOutcome.Conflict, Error: $"a cohort '{input.Key}' already exists");
            db.Cohorts.Add(new CohortRecord
            {
                Key = input.Key, Name = input.Name!.Trim(), Definition = input.Definition.ToJson(),
                UpdatedAt = clock.GetUtcNow().ToUnixTimeMilliseconds(), UpdatedBy = actor,
            });
            await db.SaveChangesAsync(ct);
        }
        await membership.ComputeAsync(input.Key, ct);
        return new CohortEditResult(CohortOutcome.Ok, await FindAsync(input.Key, ct));
    }

    /// <summary>Changes the name and/or the definition (the key stays); recomputes the membership.</summary>
    public async Task<CohortEditResult> UpdateAsync(string key, CohortInput input, string actor, CancellationToken ct = default)
    {
        if (input.Key is not null && input.Key != key) return Invalid("key cannot change");
        if (NameError(input.Name, required: false) is { } nameError) return Invalid(nameError);
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var row = await db.Cohorts.FirstOrDefaultAsync(c => c.Key == key, ct);
            if (row is null) return new CohortEditResult(CohortOutcome.NotFound, Error: $"no cohort '{key}'");
            if (input.Name is not null) row.Name = input.Name.Trim();
            if (input.Definition is not null) row.Definition = input.Definition.ToJson();
            row.UpdatedAt = clock.GetUtcNow().ToUnixTimeMilliseconds();
            row.UpdatedBy = actor;
            await db.SaveChangesAsync(ct);
        }
        await membership.ComputeAsync(key, ct);
        return new CohortEditResult(CohortOutcome.Ok, await FindAsync(key, ct));
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Cohorts.AnyAsync(c => c.Key == key, ct)) return false;
        await membership.ClearAsync(key, ct);
        // Sizes are a few rows per day; the cohort row goes with them.
        await db.CohortSizes.Where(s => s.CohortKey == key).ExecuteDeleteAsync(ct);
        await db.Cohorts.Where(c => c.Key == key).ExecuteDeleteAsync(ct);
        return true;
    }

    private static string? NameError(string? name, bool required) => name switch
    {
        null => required ? "name is required" : null,
        _ when name.Trim().Length is 0 or > 200 => "name: 1 to 200 characters",
        _ => null,
    };

    private static CohortEditResult Invalid(string message) => new(CohortOutcome.Invalid, Error: message);

    private static CohortView View(CohortRecord r) => new(r.Key, r.Name, CohortDefinition.FromJson(r.Definition), r.Size,
        r.ComputedAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null, DateTimeOffset.FromUnixTimeMilliseconds(r.UpdatedAt), r.UpdatedBy);
}
