using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dashboard.Data.Migrations
{
    /// <inheritdoc />
    public partial class SavedViewsPerPage : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_SavedFunnels_Name",
                table: "SavedFunnels");

            migrationBuilder.AddColumn<string>(
                name: "Page",
                table: "SavedFunnels",
                type: "TEXT",
                nullable: false,
                defaultValue: "funnels");

            migrationBuilder.CreateIndex(
                name: "IX_SavedFunnels_Page_Name",
                table: "SavedFunnels",
                columns: new[] { "Page", "Name" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_SavedFunnels_Page_Name",
                table: "SavedFunnels");

            migrationBuilder.DropColumn(
                name: "Page",
                table: "SavedFunnels");

            migrationBuilder.CreateIndex(
                name: "IX_SavedFunnels_Name",
                table: "SavedFunnels",
                column: "Name",
                unique: true);
        }
    }
}
