using System.Text.Json;
using Dashboard.Cohorts;
using Dashboard.Jobs;
using Dashboard.Rollups;
using Dashboard.Tests.Analytics;
using Dashboard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Jobs;

public sealed class CohortJobTests : IAsyncLifetime
{
    private readonly MovableClock _clock = new(AnalyticsData.T("2026-11-30T14:00:00Z"));
    private readonly DashboardFactory _factory;

    public CohortJobTests() => _factory = new DashboardFactory(clock: _clock);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private sealed class MovableClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public async Task Run_WindowMoves_RecomputesAndRecordsTheSizeOfEachDay()
    {
        // a: active on the 29th; b: on the 30th. "Active in the last day" holds a and b on the 30th at 14:00, only b on the 1st at noon.
        await new AnalyticsData(_factory.Services)
            .Event("a", "X", "2026-11-29T15:00:00Z")
            .Event("b", "X", "2026-11-30T13:00:00Z")
            .SaveAsync();
        var editor = _factory.Services.GetRequiredService<CohortEditor>();
        await editor.CreateAsync(new CohortInput("recent", "Recent",
            CohortDefinition.Parse(JsonDocument.Parse("""{ "events": [ { "event": "X", "atLeast": 1, "days": 1 } ] }""").RootElement)), "test");
        var job = _factory.Services.GetRequiredService<CohortJob>();

        Assert.Equal(1, await job.RunAsync(CancellationToken.None));
        _clock.Now = AnalyticsData.T("2026-12-01T12:00:00Z");
        Assert.Equal(1, await job.RunAsync(CancellationToken.None));
        // A second run the same day replaces that day's size.
        Assert.Equal(1, await job.RunAsync(CancellationToken.None));

        await using var db = _factory.CreateDbContext();
        var sizes = await db.CohortSizes.Where(s => s.CohortKey == "recent").OrderBy(s => s.Day).Select(s => new { s.Day, s.Size }).ToListAsync();
        Assert.Equal([
            new { Day = UtcCalendar.DayIndex(AnalyticsData.D("2026-11-30")), Size = 2L },
            new { Day = UtcCalendar.DayIndex(AnalyticsData.D("2026-12-01")), Size = 1L },
        ], sizes);
        var cohort = await db.Cohorts.SingleAsync(c => c.Key == "recent");
        Assert.Equal(1, cohort.Size);
        Assert.Equal(_clock.Now.ToUnixTimeMilliseconds(), cohort.ComputedAt);
        Assert.Equal(1, await db.CohortMembers.CountAsync(m => m.CohortKey == "recent"));
    }

    [Fact]
    public async Task Run_NoCohorts_DoesNothing()
    {
        Assert.Equal(0, await _factory.Services.GetRequiredService<CohortJob>().RunAsync(CancellationToken.None));
    }
}
