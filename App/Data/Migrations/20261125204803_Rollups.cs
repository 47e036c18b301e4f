using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dashboard.Data.Migrations
{
    /// <inheritdoc />
    public partial class Rollups : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Events_Name_Timestamp",
                table: "Events");

            migrationBuilder.CreateTable(
                name: "FeatureUserDays",
                columns: table => new
                {
                    UserId = table.Column<long>(type: "INTEGER", nullable: false),
                    Feature = table.Column<string>(type: "TEXT", nullable: false),
                    Day = table.Column<long>(type: "INTEGER", nullable: false),
                    Events = table.Column<long>(type: "INTEGER", nullable: false),
                    PrevDay = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FeatureUserDays", x => new { x.UserId, x.Feature, x.Day });
                });

            migrationBuilder.CreateTable(
                name: "RollupState",
                columns: table => new
                {
                    Name = table.Column<string>(type: "TEXT", nullable: false),
                    Watermark = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RollupState", x => x.Name);
                });

            migrationBuilder.CreateTable(
                name: "UserDays",
                columns: table => new
                {
                    UserId = table.Column<long>(type: "INTEGER", nullable: false),
                    Day = table.Column<long>(type: "INTEGER", nullable: false),
                    Events = table.Column<long>(type: "INTEGER", nullable: false),
                    PrevDay = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_UserDays", x => new { x.UserId, x.Day });
                });

            migrationBuilder.CreateIndex(
                name: "IX_Events_Name_Timestamp_UserId",
                table: "Events",
                columns: new[] { "Name", "Timestamp", "UserId" });

            migrationBuilder.CreateIndex(
                name: "IX_FeatureUserDays_Day_Feature_PrevDay_Events",
                table: "FeatureUserDays",
                columns: new[] { "Day", "Feature", "PrevDay", "Events" });

            migrationBuilder.CreateIndex(
                name: "IX_UserDays_Day_PrevDay_UserId_Events",
                table: "UserDays",
                columns: new[] { "Day", "PrevDay", "UserId", "Events" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "FeatureUserDays");

            migrationBuilder.DropTable(
                name: "RollupState");

            migrationBuilder.DropTable(
                name: "UserDays");

            migrationBuilder.DropIndex(
                name: "IX_Events_Name_Timestamp_UserId",
                table: "Events");

            migrationBuilder.CreateIndex(
                name: "IX_Events_Name_Timestamp",
                table: "Events",
                columns: new[] { "Name", "Timestamp" });
        }
    }
}
