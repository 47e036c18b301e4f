using System.Text.Json;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Ingest;

/// <summary>A quarantined item; <see cref="UserId"/> is its identity (userId, else anonymousId) when the payload names one.</summary>
public sealed record QuarantineRow(long Id, DateTimeOffset ReceivedAt, string? EventName, string Reason, string Payload, string? UserId);

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
            rows.Select(x => new QuarantineRow(x.Id, DateTimeOffset.FromUnixTimeMilliseconds(x.ReceivedAt), x.EventName, x.Reason, x.Payload, Identity(x.Payload))).ToList(),
            total);
    }

    /// <summary>The payload's userId, else its anonymousId, when it is a JSON object naming one as a non-empty string.</summary>
    private static string? Identity(string payload)
    {
        using var doc = JsonText.Parse(payload);
        if (doc?.RootElement is not { ValueKind: JsonValueKind.Object } root) return null;
        foreach (var key in new[] { "userId", "anonymousId" })
            if (root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String && !string.IsNullOrEmpty(v.GetString()))
                return v.GetString();
        return null;
    }

    public async Task<List<long>> IdsAsync(string? eventName, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.Quarantine.Where(x => x.ReplayedAt == null);
        if (!string.IsNullOrEmpty(eventName)) q = q.Where(x => x.EventName == eventName);
        return await q.Select(x => x.Id).ToListAsync(ct);
    }
}
