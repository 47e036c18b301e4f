using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

public sealed class ExperimentRecordConfiguration : IEntityTypeConfiguration<ExperimentRecord>
{
    public void Configure(EntityTypeBuilder<ExperimentRecord> b)
    {
        b.ToTable("Experiments");
        b.HasKey(e => e.Key);
        b.Property(e => e.State).HasConversion<string>();
        b.Property(e => e.Metrics).HasDefaultValue("[]");
        b.HasIndex(e => e.FlagKey);
    }
}
