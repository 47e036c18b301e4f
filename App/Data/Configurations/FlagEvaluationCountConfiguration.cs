using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

public sealed class FlagEvaluationCountConfiguration : IEntityTypeConfiguration<FlagEvaluationCount>
{
    public void Configure(EntityTypeBuilder<FlagEvaluationCount> b)
    {
        b.ToTable("FlagEvaluationCounts");
        b.HasKey(e => new { e.FlagKey, e.HourStart });
    }
}
