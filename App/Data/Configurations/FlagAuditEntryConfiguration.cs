using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

public sealed class FlagAuditEntryConfiguration : IEntityTypeConfiguration<FlagAuditEntry>
{
    public void Configure(EntityTypeBuilder<FlagAuditEntry> b)
    {
        b.ToTable("FlagAudit");
        b.HasKey(e => e.Id);
        b.HasIndex(e => new { e.FlagKey, e.At });
    }
}
