using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Analytics.Trends;

/// <summary>Trends saved from the trends page (event, conditions, measure, interval, range, breakdown, comparison, chart in its query string).</summary>
public sealed class SavedTrends(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
    : SavedViews(dbFactory, clock, "trends", "trend");
