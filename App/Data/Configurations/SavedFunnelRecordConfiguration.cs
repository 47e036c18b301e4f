using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

public sealed class SavedFunnelRecordConfiguration : IEntityTypeConfiguration<SavedFunnelRecord>
{
    public void Configure(EntityTypeBuilder<SavedFunnelRecord> b)
    {
        b.ToTable("SavedFunnels");
        b.HasKey(e => e.Id);
        // Funnels saved before views of other pages could be saved are the funnel page's.
        b.Property(e => e.Page).HasDefaultValue("funnels");
        b.HasIndex(e => new { e.Page, e.Name }).IsUnique();
    }
}
