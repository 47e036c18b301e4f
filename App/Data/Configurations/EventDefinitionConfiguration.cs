using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

public sealed class EventDefinitionConfiguration : IEntityTypeConfiguration<EventDefinition>
{
    public void Configure(EntityTypeBuilder<EventDefinition> b)
    {
        b.ToTable("EventDefinitions");
        b.HasKey(d => d.Id);
        b.HasIndex(d => d.Name).IsUnique();
        b.OwnsMany(d => d.Properties, p =>
        {
            p.ToJson();
            p.Property(x => x.Type).HasConversion<string>();
        });
    }
}
