using System.Diagnostics;
using Dashboard.Data;
using Dashboard.Ingest;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Bench;

/// <summary>The batch writer's store alone (no HTTP): events/s for a given number of events per transaction.</summary>
public static class WriterBaseline
{
    public static double EventsPerSecond(string databasePath, int events, int batchSize, string synchronous)
    {
        var cs = $"Data Source={databasePath}";
        using (var db = new DashboardDbContext(new DbContextOptionsBuilder<DashboardDbContext>().UseSqlite(cs).Options))
            db.Database.Migrate();
        var rows = EventRows.Generate(events, seed: 2)
            .Select(r => new ValidEvent(MessageType.Track, $"u{r.UserId}", r.Name, r.Properties, null, r.Timestamp, r.MessageId))
            .Chunk(batchSize)
            .Select(c => new WriteRequest(c, [], c[0].Timestamp))
            .ToArray();
        using var store = new BatchStore(cs, synchronous);
        var sw = Stopwatch.StartNew();
        foreach (var request in rows) store.Write([request]);
        return events / sw.Elapsed.TotalSeconds;
    }
}
