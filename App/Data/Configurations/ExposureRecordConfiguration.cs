using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

public sealed class ExposureRecordConfiguration : IEntityTypeConfiguration<ExposureRecord>
{
    public void Configure(EntityTypeBuilder<ExposureRecord> b)
    {
        b.ToTable("Exposures");
        b.HasKey(e => e.Id);
        // First exposure per user and experiment wins: later ones are ignored on insert.
        b.HasIndex(e => new { e.ExperimentKey, e.UserId }).IsUnique();
    }
}
