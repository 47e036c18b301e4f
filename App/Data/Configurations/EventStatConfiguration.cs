using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

public sealed class EventStatConfiguration : IEntityTypeConfiguration<EventStat>
{
    public void Configure(EntityTypeBuilder<EventStat> b)
    {
        b.ToTable("EventStats");
        b.HasKey(s => s.Name);
    }
}
