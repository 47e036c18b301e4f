using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

public sealed class DigestDeliveryRecordConfiguration : IEntityTypeConfiguration<DigestDeliveryRecord>
{
    public void Configure(EntityTypeBuilder<DigestDeliveryRecord> b)
    {
        b.ToTable("DigestDeliveries");
        b.HasKey(e => e.Id);
        b.Property(e => e.RunId).HasMaxLength(32);
        b.Property(e => e.Kind).HasMaxLength(16);
        b.Property(e => e.Status).HasMaxLength(16);
        // The page lists the newest attempts first.
        b.HasIndex(e => e.At);
    }
}
