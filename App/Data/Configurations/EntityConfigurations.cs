using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

/// <summary>
/// Events are append-only. The primary key is the rowid, so inserts append. Secondary indexes are
/// the ones the dashboard's questions need: (Name, Timestamp) for "events of kind X in a range",
/// (Timestamp) for activity; both grow near their end because events arrive roughly in time order.
/// MessageId is unique for deduplication.
/// </summary>
public sealed class EventRecordConfiguration : IEntityTypeConfiguration<EventRecord>
{
    public void Configure(EntityTypeBuilder<EventRecord> b)
    {
        b.ToTable("Events");
        b.HasKey(e => e.Id);
        b.Property(e => e.MessageId).IsRequired();
        b.Property(e => e.Name).IsRequired();
        b.HasIndex(e => e.MessageId).IsUnique();
        b.HasIndex(e => new { e.Name, e.Timestamp });
        b.HasIndex(e => e.Timestamp);
    }
}

public sealed class UserRecordConfiguration : IEntityTypeConfiguration<UserRecord>
{
    public void Configure(EntityTypeBuilder<UserRecord> b)
    {
        b.ToTable("Users");
        b.HasKey(u => u.Id);
        b.HasIndex(u => u.Key).IsUnique();
        b.HasIndex(u => u.FirstSeen);
    }
}

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

public sealed class EventStatConfiguration : IEntityTypeConfiguration<EventStat>
{
    public void Configure(EntityTypeBuilder<EventStat> b)
    {
        b.ToTable("EventStats");
        b.HasKey(s => s.Name);
    }
}

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

public sealed class FlagRecordConfiguration : IEntityTypeConfiguration<FlagRecord>
{
    public void Configure(EntityTypeBuilder<FlagRecord> b)
    {
        b.ToTable("Flags");
        b.HasKey(f => f.Key);
    }
}

public sealed class ApiKeyRecordConfiguration : IEntityTypeConfiguration<ApiKeyRecord>
{
    public void Configure(EntityTypeBuilder<ApiKeyRecord> b)
    {
        b.ToTable("ApiKeys");
        b.HasKey(k => k.Id);
        b.HasIndex(k => k.Hash).IsUnique();
    }
}
