using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

public sealed class FlagRecordConfiguration : IEntityTypeConfiguration<FlagRecord>
{
    public void Configure(EntityTypeBuilder<FlagRecord> b)
    {
        b.ToTable("Flags");
        b.HasKey(f => f.Key);
    }
}
