using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

/// <summary>Keyed by identity first (the job's per-user upkeep); the index covers the per-day feature counts.</summary>
public sealed class FeatureUserDayConfiguration : IEntityTypeConfiguration<FeatureUserDay>
{
    public void Configure(EntityTypeBuilder<FeatureUserDay> b)
    {
        b.ToTable("FeatureUserDays");
        b.HasKey(d => new { d.UserId, d.Feature, d.Day });
        b.HasIndex(d => new { d.Day, d.Feature, d.PrevDay, d.Events });
    }
}
