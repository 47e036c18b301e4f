using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

public sealed class UserRecordConfiguration : IEntityTypeConfiguration<UserRecord>
{
    public void Configure(EntityTypeBuilder<UserRecord> b)
    {
        b.ToTable("Users");
        b.HasKey(u => u.Id);
        b.HasIndex(u => u.Key).IsUnique();
        b.HasIndex(u => u.FirstSeen);
        b.HasIndex(u => u.MergedInto);
        b.HasIndex(u => new { u.LastSeen, u.Id }); // the people list, newest seen first
        b.HasIndex(u => u.AccountId);
    }
}

public sealed class AccountRecordConfiguration : IEntityTypeConfiguration<AccountRecord>
{
    public void Configure(EntityTypeBuilder<AccountRecord> b)
    {
        b.ToTable("Accounts");
        b.HasKey(a => a.Id);
        b.HasIndex(a => a.Key).IsUnique();
    }
}
