using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

public sealed class DigestRecipientRecordConfiguration : IEntityTypeConfiguration<DigestRecipientRecord>
{
    public void Configure(EntityTypeBuilder<DigestRecipientRecord> b)
    {
        b.ToTable("DigestRecipients");
        b.HasKey(e => e.Id);
        b.Property(e => e.Kind).HasMaxLength(16);
        b.Property(e => e.Address).HasMaxLength(2048);
        b.HasIndex(e => new { e.Kind, e.Address }).IsUnique();
    }
}
