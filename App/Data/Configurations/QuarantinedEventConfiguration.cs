using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

public sealed class QuarantinedEventConfiguration : IEntityTypeConfiguration<QuarantinedEvent>
{
    public void Configure(EntityTypeBuilder<QuarantinedEvent> b)
    {
        b.ToTable("Quarantine");
        b.HasKey(q => q.Id);
        b.HasIndex(q => q.ReceivedAt);
        b.HasIndex(q => new { q.EventName, q.ReplayedAt });
    }
}
