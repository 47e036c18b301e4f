using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

public sealed class SavedFunnelRecordConfiguration : IEntityTypeConfiguration<SavedFunnelRecord>
{
    public void Configure(EntityTypeBuilder<SavedFunnelRecord> b)
    {
        b.ToTable("SavedFunnels");
        b.HasKey(e => e.Id);
        b.HasIndex(e => e.Name).IsUnique();
    }
}
