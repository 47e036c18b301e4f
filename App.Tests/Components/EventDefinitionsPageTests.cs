using Dashboard.Schema;
using AngleSharp.Dom;
using Bunit;
using Dashboard.Components.Pages.Events;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace Dashboard.Tests.Components;

public sealed class EventDefinitionsPageTests : PageTestBase
{
    [Fact]
    public async Task Render_SeededTaxonomyWithTraffic_ListsVolumeAndViolations()
    {
        var unknown = $"NOT_DEFINED_{Guid.NewGuid():N}";
        await PostAsync(
            Registered("u-1", "free"), Registered("u-2", "premium"), Registered("u-3", "free"),
            Registered("u-4", "gold"), Registered("u-5", "platinum"),
            new { @event = unknown, userId = "u-6" });

        var cut = RenderPage<EventDefinitionsPage>();

        cut.WaitForAssertion(() =>
        {
            var rows = Rows(cut);
            var seeded = new SeedData(new ConfigurationBuilder().Build()).Taxonomy(0).Select(d => d.Name).Concat(BuiltInEvents.Names).Order();
            Assert.Equal(seeded, rows.Keys.Order());

            var registered = rows["USER_REGISTERED"];
            Assert.Equal("2", registered[1].TextContent.Trim()); // properties
            Assert.Equal("3", registered[2].TextContent.Trim()); // volume
            Assert.NotEqual("never", registered[3].TextContent.Trim());
            Assert.Equal("2", registered[4].TextContent.Trim()); // violations
            Assert.Equal("quarantine?event=USER_REGISTERED", registered[4].QuerySelector("a")?.GetAttribute("href"));

            var created = rows["PROJECT_CREATED"];
            Assert.Equal("0", created[2].TextContent.Trim());
            Assert.Equal("never", created[3].TextContent.Trim());
            Assert.Equal("0", created[4].TextContent.Trim());

            var undefinedRow = Assert.Single(cut.FindAll("tr"), r => r.TextContent.Contains(unknown));
            Assert.Contains("1", undefinedRow.Children[1].TextContent);
            Assert.Equal($"events/new?name={unknown}", undefinedRow.QuerySelector("a[href^='events/new']")?.GetAttribute("href"));
        }, Timeout);
    }

    [Fact]
    public void Render_SearchInQuery_ShowsOnlyMatchingEvents()
    {
        var cut = RenderPage<EventDefinitionsPage>(uri: "events?q=project");

        cut.WaitForAssertion(() => Assert.Equal(["PROJECT_CREATED"], Rows(cut).Keys), Timeout);
    }

    [Fact]
    public void Render_SearchWithoutMatch_SaysSo()
    {
        var cut = RenderPage<EventDefinitionsPage>(uri: "events?q=zzz-nothing");

        cut.WaitForAssertion(() => Assert.Contains("No event matches “zzz-nothing”", cut.Markup), Timeout);
    }

    [Fact]
    public async Task Render_EmptyTaxonomy_ShowsEmptyState()
    {
        await using (var db = Factory.CreateDbContext())
            await db.EventDefinitions.ExecuteDeleteAsync();

        var cut = RenderPage<EventDefinitionsPage>();

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("The taxonomy is empty", cut.Find("[data-testid=empty-state]").TextContent);
            Assert.Empty(cut.FindAll("[data-testid=definitions]"));
        }, Timeout);
    }

    private static object Registered(string userId, string plan) =>
        new { @event = "USER_REGISTERED", userId, properties = new { referralSource = "google", planType = plan } };

    /// <summary>The definitions table's rows by event name, each as its cells.</summary>
    private static Dictionary<string, IElement[]> Rows(IRenderedComponent<EventDefinitionsPage> cut) =>
        cut.FindAll("[data-testid=definitions] tbody tr")
            .Select(r => r.QuerySelectorAll("td").ToArray())
            .Where(cells => cells.Length == 5)
            .ToDictionary(cells => cells[0].QuerySelector("b")!.TextContent.Trim());
}
