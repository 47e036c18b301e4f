using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

/// <summary>
/// Events are append-only. The primary key is the rowid, so inserts append. Secondary indexes are
/// the ones the dashboard's questions need: (Name, Timestamp, UserId) for "who did X in a range"
/// (covering, so funnels and activation never read the table's rows), (Timestamp) for ranges of
/// any event; both grow near their end because events arrive roughly in time order. MessageId is
/// unique for deduplication. Active users and feature counts read the rollups (UserDays,
/// FeatureUserDays) instead.
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
        b.HasIndex(e => new { e.Name, e.Timestamp, e.UserId });
        b.HasIndex(e => e.Timestamp);
        // A person's events: identity merges move them, the person page reads them newest first.
        b.HasIndex(e => new { e.UserId, e.Timestamp });
    }
}
