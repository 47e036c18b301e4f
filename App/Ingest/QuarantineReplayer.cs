using System.Text.Json;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Ingest;

public sealed record ReplayResult(int Replayed, int Duplicates, int StillRejected);

/// <summary>
/// Sends quarantined items through validation again, as of the time they were first received,
/// so that events refused by an outdated taxonomy can be recovered after it is fixed. An item that
/// passes goes through the writer (deduplicated by messageId, or by the row when it had none) and
/// is marked replayed; one that still fails keeps its row with the new reason.
/// </summary>
public sealed class QuarantineReplayer(IDbContextFactory<DashboardDbContext> dbFactory, EventValidator validator,
    EventWriter writer, TimeProvider clock)
{
    public async Task<ReplayResult> ReplayAsync(IReadOnlyCollection<long> ids, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Quarantine.Where(q => ids.Contains(q.Id) && q.ReplayedAt == null).ToListAsync(ct);
        int replayed = 0, duplicates = 0, still = 0;
        foreach (var group in rows.GroupBy(r => r.ReceivedAt))
        {
            var valid = new List<ValidEvent>();
            var passed = new List<QuarantinedEvent>();
            foreach (var row in group)
            {
                // A payload cut short on the way in is no longer JSON: it stays, with its reason.
                if (!TryParse(row.Payload, out var doc))
                {
                    still++;
                    continue;
                }
                using var _ = doc;
                var outcome = validator.Validate(doc.RootElement, new BatchContext(null, null, null, row.ReceivedAt));
                if (outcome.Event is { } e)
                {
                    // An item sent without a messageId gets one derived from its quarantine row, so
                    // replaying the same row again (a retry, a second tab) is caught as a duplicate.
                    if (!doc.RootElement.TryGetProperty("messageId", out var id) || id.ValueKind == JsonValueKind.Null)
                        e = e with { MessageId = $"quarantine-{row.Id}" };
                    valid.Add(e);
                    passed.Add(row);
                }
                else
                {
                    row.Reason = $"{outcome.Rejection!.Value.Code}: {outcome.Rejection.Value.Error}";
                    still++;
                }
            }
            if (valid.Count > 0)
            {
                var request = new WriteRequest(valid, [], group.Key);
                if (!writer.TryEnqueue(request)) throw new StoreUnavailableException(new InvalidOperationException("the write queue is full"));
                var result = await request.Task;
                replayed += result.Accepted;
                duplicates += result.Duplicates;
                var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
                foreach (var row in passed) row.ReplayedAt = now;
            }
            // Saved per group: a later group that fails leaves the committed ones marked as replayed.
            await db.SaveChangesAsync(ct);
        }
        return new ReplayResult(replayed, duplicates, still);
    }

    private static bool TryParse(string payload, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out JsonDocument? doc)
    {
        try
        {
            doc = JsonDocument.Parse(payload);
            return true;
        }
        catch (JsonException)
        {
            doc = null;
            return false;
        }
    }
}
