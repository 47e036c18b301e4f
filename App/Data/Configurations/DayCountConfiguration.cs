using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

/// <summary>Keyed by day first: range counts read a few rows per day (one per previous day).</summary>
public sealed class UserDayCountConfiguration : IEntityTypeConfiguration<UserDayCount>
{
    public void Configure(EntityTypeBuilder<UserDayCount> b)
    {
        b.ToTable("UserDayCounts");
        b.HasKey(d => new { d.Day, d.PrevDay });
    }
}

public sealed class FeatureDayCountConfiguration : IEntityTypeConfiguration<FeatureDayCount>
{
    public void Configure(EntityTypeBuilder<FeatureDayCount> b)
    {
        b.ToTable("FeatureDayCounts");
        b.HasKey(d => new { d.Day, d.Feature, d.PrevDay });
    }
}
