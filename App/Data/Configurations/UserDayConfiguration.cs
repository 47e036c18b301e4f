using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

/// <summary>
/// The key (UserId, Day) serves the job's upserts and per-user lookups; the (Day, PrevDay, UserId,
/// Events) index covers the range counts, so they never touch the table.
/// </summary>
public sealed class UserDayConfiguration : IEntityTypeConfiguration<UserDay>
{
    public void Configure(EntityTypeBuilder<UserDay> b)
    {
        b.ToTable("UserDays");
        b.HasKey(d => new { d.UserId, d.Day });
        b.HasIndex(d => new { d.Day, d.PrevDay, d.UserId, d.Events });
    }
}
