using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Ingest;

public sealed record QuarantineRow(long Id, DateTimeOffset ReceivedAt, string? EventName, string Reason, string Payload);

public sealed record QuarantinePage(IReadOnlyList<QuarantineRow> Rows, int Total);

/// <summary>Quarantined items not yet replayed, newest first, a page at a time, optionally for one event name.</summary>
public sealed class QuarantineQuery(IDbContextFactory<DashboardDbContext> dbFactory)
{
    public async Task<QuarantinePage> RunAsync(string? eventName, int page, int pageSize, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.Quarantine.AsNoTracking().Where(x => x.ReplayedAt == null);
        if (!string.IsNullOrEmpty(eventName)) q = q.Where(x => x.EventName == eventName);
        var total = await q.CountAsync(ct);
        var rows = await q.OrderByDescending(x => x.Id).Skip(page * pageSize).Take(pageSize)
            .Select(x => new { x.Id, x.ReceivedAt, x.EventName, x.Reason, x.Payload })
            .ToListAsync(ct);
        return new QuarantinePage(
            rows.Select(x => new QuarantineRow(x.Id, DateTimeOffset.FromUnixTimeMilliseconds(x.ReceivedAt), x.EventName, x.Reason, x.Payload)).ToList(),
            total);
    }

    public async Task<List<long>> IdsAsync(string? eventName, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.Quarantine.Where(x => x.ReplayedAt == null);
        if (!string.IsNullOrEmpty(eventName)) q = q.Where(x => x.EventName == eventName);
        return await q.Select(x => x.Id).ToListAsync(ct);
    }
}
