using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

public sealed class CohortRecordConfiguration : IEntityTypeConfiguration<CohortRecord>
{
    public void Configure(EntityTypeBuilder<CohortRecord> b)
    {
        b.ToTable("Cohorts");
        b.HasKey(c => c.Key);
        b.Property(c => c.Definition).HasDefaultValue("{}");
    }
}

/// <summary>Keyed (CohortKey, UserId): the insight filter reads a cohort's users in order; the index on UserId finds a person's cohorts.</summary>
public sealed class CohortMemberConfiguration : IEntityTypeConfiguration<CohortMember>
{
    public void Configure(EntityTypeBuilder<CohortMember> b)
    {
        b.ToTable("CohortMembers");
        b.HasKey(m => new { m.CohortKey, m.UserId });
        b.HasIndex(m => m.UserId);
        b.HasOne<CohortRecord>().WithMany().HasForeignKey(m => m.CohortKey).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class CohortSizeConfiguration : IEntityTypeConfiguration<CohortSize>
{
    public void Configure(EntityTypeBuilder<CohortSize> b)
    {
        b.ToTable("CohortSizes");
        b.HasKey(s => new { s.CohortKey, s.Day });
        b.HasOne<CohortRecord>().WithMany().HasForeignKey(s => s.CohortKey).OnDelete(DeleteBehavior.Cascade);
    }
}
