using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Analytics.Funnels;

/// <summary>Funnels saved from the funnel page (steps, filters, window, range, breakdown in its query string).</summary>
public sealed class SavedFunnels(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
    : SavedViews(dbFactory, clock, "funnels", "funnel");
