using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

public sealed class ApiKeyRecordConfiguration : IEntityTypeConfiguration<ApiKeyRecord>
{
    public void Configure(EntityTypeBuilder<ApiKeyRecord> b)
    {
        b.ToTable("ApiKeys");
        b.HasKey(k => k.Id);
        b.HasIndex(k => k.Hash).IsUnique();
    }
}
