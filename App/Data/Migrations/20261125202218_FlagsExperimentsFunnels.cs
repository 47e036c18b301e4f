using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dashboard.Data.Migrations
{
    /// <inheritdoc />
    public partial class FlagsExperimentsFunnels : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "UpdatedBy",
                table: "Flags",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateTable(
                name: "Experiments",
                columns: table => new
                {
                    Key = table.Column<string>(type: "TEXT", nullable: false),
                    FlagKey = table.Column<string>(type: "TEXT", nullable: false),
                    Hypothesis = table.Column<string>(type: "TEXT", nullable: false),
                    Variants = table.Column<string>(type: "TEXT", nullable: false),
                    GoalEvent = table.Column<string>(type: "TEXT", nullable: false),
                    GoalFilter = table.Column<string>(type: "TEXT", nullable: false),
                    Start = table.Column<long>(type: "INTEGER", nullable: true),
                    End = table.Column<long>(type: "INTEGER", nullable: true),
                    MinimumDetectableEffect = table.Column<double>(type: "REAL", nullable: false),
                    State = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Experiments", x => x.Key);
                });

            migrationBuilder.CreateTable(
                name: "Exposures",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ExperimentKey = table.Column<string>(type: "TEXT", nullable: false),
                    FlagKey = table.Column<string>(type: "TEXT", nullable: false),
                    UserId = table.Column<long>(type: "INTEGER", nullable: false),
                    Variant = table.Column<string>(type: "TEXT", nullable: false),
                    Timestamp = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Exposures", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "FlagAudit",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    FlagKey = table.Column<string>(type: "TEXT", nullable: false),
                    Actor = table.Column<string>(type: "TEXT", nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    Action = table.Column<string>(type: "TEXT", nullable: false),
                    Before = table.Column<string>(type: "TEXT", nullable: true),
                    After = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FlagAudit", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "FlagEvaluationCounts",
                columns: table => new
                {
                    FlagKey = table.Column<string>(type: "TEXT", nullable: false),
                    HourStart = table.Column<long>(type: "INTEGER", nullable: false),
                    Count = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FlagEvaluationCounts", x => new { x.FlagKey, x.HourStart });
                });

            migrationBuilder.CreateTable(
                name: "SavedFunnels",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", nullable: false),
                    Query = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SavedFunnels", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Experiments_FlagKey",
                table: "Experiments",
                column: "FlagKey");

            migrationBuilder.CreateIndex(
                name: "IX_Exposures_ExperimentKey_UserId",
                table: "Exposures",
                columns: new[] { "ExperimentKey", "UserId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_FlagAudit_FlagKey_At",
                table: "FlagAudit",
                columns: new[] { "FlagKey", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_SavedFunnels_Name",
                table: "SavedFunnels",
                column: "Name",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Experiments");

            migrationBuilder.DropTable(
                name: "Exposures");

            migrationBuilder.DropTable(
                name: "FlagAudit");

            migrationBuilder.DropTable(
                name: "FlagEvaluationCounts");

            migrationBuilder.DropTable(
                name: "SavedFunnels");

            migrationBuilder.DropColumn(
                name: "UpdatedBy",
                table: "Flags");
        }
    }
}
