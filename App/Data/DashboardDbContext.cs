using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data;

/// <summary>
/// The one store: analytics tables plus ASP.NET Core Identity's accounts and roles (the AspNet*
/// tables). Identity's own <c>Users</c> set is the sign-in accounts; the people seen in events
/// are <see cref="TrackedUsers"/>.
/// </summary>
public sealed class DashboardDbContext(DbContextOptions<DashboardDbContext> options)
    : IdentityDbContext<IdentityUser, IdentityRole, string>(options)
{
    public DbSet<EventRecord> Events => Set<EventRecord>();
    public DbSet<UserRecord> TrackedUsers => Set<UserRecord>();
    public DbSet<AccountRecord> Accounts => Set<AccountRecord>();
    public DbSet<QuarantinedEvent> Quarantine => Set<QuarantinedEvent>();
    public DbSet<EventStat> EventStats => Set<EventStat>();
    public DbSet<EventDefinition> EventDefinitions => Set<EventDefinition>();
    public DbSet<FlagRecord> Flags => Set<FlagRecord>();
    public DbSet<ApiKeyRecord> ApiKeys => Set<ApiKeyRecord>();
    public DbSet<UserDay> UserDays => Set<UserDay>();
    public DbSet<FeatureUserDay> FeatureUserDays => Set<FeatureUserDay>();
    public DbSet<UserDayCount> UserDayCounts => Set<UserDayCount>();
    public DbSet<FeatureDayCount> FeatureDayCounts => Set<FeatureDayCount>();
    public DbSet<RollupState> RollupState => Set<RollupState>();
    public DbSet<FlagAuditEntry> FlagAudit => Set<FlagAuditEntry>();
    public DbSet<FlagEvaluationCount> FlagEvaluationCounts => Set<FlagEvaluationCount>();
    public DbSet<ExperimentRecord> Experiments => Set<ExperimentRecord>();
    public DbSet<ExposureRecord> Exposures => Set<ExposureRecord>();
    public DbSet<SavedFunnelRecord> SavedFunnels => Set<SavedFunnelRecord>();
    public DbSet<AnnotationRecord> Annotations => Set<AnnotationRecord>();
    public DbSet<DigestRecipientRecord> DigestRecipients => Set<DigestRecipientRecord>();
    public DbSet<DigestDeliveryRecord> DigestDeliveries => Set<DigestDeliveryRecord>();
    public DbSet<CohortRecord> Cohorts => Set<CohortRecord>();
    public DbSet<CohortMember> CohortMembers => Set<CohortMember>();
    public DbSet<CohortSize> CohortSizes => Set<CohortSize>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(DashboardDbContext).Assembly);
    }
}
