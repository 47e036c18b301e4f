using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data;

public sealed class DashboardDbContext(DbContextOptions<DashboardDbContext> options) : DbContext(options)
{
    public DbSet<EventRecord> Events => Set<EventRecord>();
    public DbSet<UserRecord> Users => Set<UserRecord>();
    public DbSet<QuarantinedEvent> Quarantine => Set<QuarantinedEvent>();
    public DbSet<EventStat> EventStats => Set<EventStat>();
    public DbSet<EventDefinition> EventDefinitions => Set<EventDefinition>();
    public DbSet<FlagRecord> Flags => Set<FlagRecord>();
    public DbSet<ApiKeyRecord> ApiKeys => Set<ApiKeyRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(DashboardDbContext).Assembly);
}
