using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

public sealed class AnnotationRecordConfiguration : IEntityTypeConfiguration<AnnotationRecord>
{
    public void Configure(EntityTypeBuilder<AnnotationRecord> b)
    {
        b.ToTable("Annotations");
        b.HasKey(e => e.Id);
        b.Property(e => e.Kind).HasMaxLength(16);
        b.HasIndex(e => e.At);
    }
}
