using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dashboard.Data.Migrations
{
    /// <inheritdoc />
    public partial class DayCounts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_FeatureUserDays_Day_Feature_PrevDay_Events",
                table: "FeatureUserDays");

            migrationBuilder.CreateTable(
                name: "FeatureDayCounts",
                columns: table => new
                {
                    Day = table.Column<long>(type: "INTEGER", nullable: false),
                    Feature = table.Column<string>(type: "TEXT", nullable: false),
                    PrevDay = table.Column<long>(type: "INTEGER", nullable: false),
                    Users = table.Column<long>(type: "INTEGER", nullable: false),
                    Events = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FeatureDayCounts", x => new { x.Day, x.Feature, x.PrevDay });
                });

            migrationBuilder.CreateTable(
                name: "UserDayCounts",
                columns: table => new
                {
                    Day = table.Column<long>(type: "INTEGER", nullable: false),
                    PrevDay = table.Column<long>(type: "INTEGER", nullable: false),
                    Users = table.Column<long>(type: "INTEGER", nullable: false),
                    Events = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_UserDayCounts", x => new { x.Day, x.PrevDay });
                });

            // The count tables follow their rollup row by row: a row added counts +1 at its (day,
            // previous day), a row removed -1, a row changed moves (its events may change too). A
            // first day (no previous day) is stored as -1. An upsert's update fires the update trigger.
            foreach (var (table, keys, keyValues) in new[]
            {
                ("UserDays", "\"Day\", \"PrevDay\"", "{0}.\"Day\", COALESCE({0}.\"PrevDay\", -1)"),
                ("FeatureUserDays", "\"Day\", \"Feature\", \"PrevDay\"", "{0}.\"Day\", {0}.\"Feature\", COALESCE({0}.\"PrevDay\", -1)"),
            })
            {
                var counts = table == "UserDays" ? "UserDayCounts" : "FeatureDayCounts";
                string Add(string row, int sign) => $"""
                    INSERT INTO "{counts}" ({keys}, "Users", "Events") VALUES ({string.Format(keyValues, row)}, {sign}, {sign} * {row}."Events")
                    ON CONFLICT ({keys}) DO UPDATE SET "Users" = "Users" + excluded."Users", "Events" = "Events" + excluded."Events";
                    """;
                migrationBuilder.Sql($"""CREATE TRIGGER "{table}_Counts_Insert" AFTER INSERT ON "{table}" BEGIN {Add("new", 1)} END;""");
                migrationBuilder.Sql($"""CREATE TRIGGER "{table}_Counts_Delete" AFTER DELETE ON "{table}" BEGIN {Add("old", -1)} END;""");
                migrationBuilder.Sql($"""CREATE TRIGGER "{table}_Counts_Update" AFTER UPDATE ON "{table}" BEGIN {Add("old", -1)} {Add("new", 1)} END;""");
                migrationBuilder.Sql($"""
                    INSERT INTO "{counts}" ({keys}, "Users", "Events")
                    SELECT {string.Format(keyValues, $"\"{table}\"")}, COUNT(*), SUM("Events") FROM "{table}" GROUP BY {keys.Replace("\"PrevDay\"", "COALESCE(\"PrevDay\", -1)")};
                    """);
            }
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var table in new[] { "UserDays", "FeatureUserDays" })
                foreach (var action in new[] { "Insert", "Delete", "Update" })
                    migrationBuilder.Sql($"""DROP TRIGGER "{table}_Counts_{action}";""");

            migrationBuilder.DropTable(
                name: "FeatureDayCounts");

            migrationBuilder.DropTable(
                name: "UserDayCounts");

            migrationBuilder.CreateIndex(
                name: "IX_FeatureUserDays_Day_Feature_PrevDay_Events",
                table: "FeatureUserDays",
                columns: new[] { "Day", "Feature", "PrevDay", "Events" });
        }
    }
}
