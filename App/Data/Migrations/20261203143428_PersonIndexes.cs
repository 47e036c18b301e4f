using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dashboard.Data.Migrations
{
    /// <inheritdoc />
    public partial class PersonIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_Users_LastSeen_Id",
                table: "Users",
                columns: new[] { "LastSeen", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_Events_UserId_Timestamp",
                table: "Events",
                columns: new[] { "UserId", "Timestamp" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Users_LastSeen_Id",
                table: "Users");

            migrationBuilder.DropIndex(
                name: "IX_Events_UserId_Timestamp",
                table: "Events");
        }
    }
}
