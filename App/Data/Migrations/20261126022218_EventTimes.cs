using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dashboard.Data.Migrations
{
    /// <inheritdoc />
    public partial class EventTimes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Read by raw SQL only (funnels), so not in the model: one row per (name, ISO week,
            // block of 64 identities) with their packed timestamps, stored in key order (WITHOUT ROWID).
            migrationBuilder.Sql("""
                CREATE TABLE "EventTimes" (
                    "Name" TEXT NOT NULL, "Week" INTEGER NOT NULL, "Block" INTEGER NOT NULL, "Times" BLOB NOT NULL,
                    PRIMARY KEY ("Name", "Week", "Block")) WITHOUT ROWID;
                """);
            // The new rollup starts with the others: they are emptied and the job folds every
            // stored event in again (readers read what is above the watermark raw meanwhile).
            migrationBuilder.Sql("""DELETE FROM "UserDays";""");
            migrationBuilder.Sql("""DELETE FROM "FeatureUserDays";""");
            migrationBuilder.Sql("""DELETE FROM "UserDayCounts";""");
            migrationBuilder.Sql("""DELETE FROM "FeatureDayCounts";""");
            migrationBuilder.Sql("""DELETE FROM "RollupState";""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP TABLE "EventTimes";""");
        }
    }
}
