using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

/// <summary>Keyed by identity first: the job's per-user upkeep and the tail's per-user reads. Range counts read FeatureDayCounts.</summary>
public sealed class FeatureUserDayConfiguration : IEntityTypeConfiguration<FeatureUserDay>
{
    public void Configure(EntityTypeBuilder<FeatureUserDay> b)
    {
        b.ToTable("FeatureUserDays");
        b.HasKey(d => new { d.UserId, d.Feature, d.Day });
    }
}
