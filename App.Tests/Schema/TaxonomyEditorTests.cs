using Dashboard.Data;
using Dashboard.Schema;
using Dashboard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Schema;

public sealed class TaxonomyEditorTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private TaxonomyEditor Editor => _factory.Services.GetRequiredService<TaxonomyEditor>();

    [Theory]
    [InlineData("USER_REGISTERED")]
    [InlineData("checkout.completed")]
    [InlineData("app:opened-v2")]
    [InlineData("a")]
    public void Validate_GoodEventName_HasNoErrors(string name)
    {
        Assert.Empty(TaxonomyEditor.Validate(new EventDefinition { Name = name }));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1_STARTS_WITH_DIGIT")]
    [InlineData("_STARTS_WITH_UNDERSCORE")]
    [InlineData("HAS SPACE")]
    [InlineData("SLASH/ED")]
    [InlineData("ÉVÉNEMENT")]
    public void Validate_BadEventName_IsRejected(string name)
    {
        var error = Assert.Single(TaxonomyEditor.Validate(new EventDefinition { Name = name }));
        Assert.StartsWith("The event name must start with a letter", error);
    }

    [Fact]
    public void Validate_EventNameLength_AllowsAtMost100Characters()
    {
        Assert.Empty(TaxonomyEditor.Validate(new EventDefinition { Name = new string('A', 100) }));
        Assert.Single(TaxonomyEditor.Validate(new EventDefinition { Name = new string('A', 101) }));
    }

    [Theory]
    [InlineData("first-name")]
    [InlineData("2fa")]
    [InlineData("")]
    [InlineData("has space")]
    public void Validate_BadPropertyName_IsRejected(string property)
    {
        var error = Assert.Single(TaxonomyEditor.Validate(Definition(new PropertyDefinition { Name = property })));
        Assert.Equal($"Property name '{property}' must be an identifier (letters, digits, _ or $, not starting with a digit).", error);
    }

    [Fact]
    public void Validate_DuplicateProperty_IsRejected()
    {
        var errors = TaxonomyEditor.Validate(Definition(new PropertyDefinition { Name = "plan" }, new PropertyDefinition { Name = "plan" }));

        Assert.Equal(["Property 'plan' is listed twice."], errors);
    }

    [Fact]
    public void Validate_EnumWithoutValues_IsRejected()
    {
        var errors = TaxonomyEditor.Validate(Definition(new PropertyDefinition { Name = "plan", Type = PropertyType.Enum }));

        Assert.Equal(["Enum property 'plan' needs at least one value."], errors);
    }

    [Fact]
    public void Validate_SeveralProblems_ListsEach()
    {
        var errors = TaxonomyEditor.Validate(new EventDefinition
        {
            Name = "bad name",
            Properties = [new() { Name = "ok" }, new() { Name = "ok" }, new() { Name = "kind", Type = PropertyType.Enum }, new() { Name = "9" }],
        });

        Assert.Equal(4, errors.Count);
    }

    [Fact]
    public async Task SaveAsync_NewDefinition_IsStoredAndCheckedByIngestAtOnce()
    {
        var name = $"SAVED_{Guid.NewGuid():N}";
        var errors = await Editor.SaveAsync(Definition(name,
            new PropertyDefinition { Name = "tier", Type = PropertyType.Enum, Required = true, EnumValues = [" gold ", "silver", "", "gold"] }));

        Assert.Empty(errors);
        await using var db = _factory.CreateDbContext();
        var saved = await db.EventDefinitions.AsNoTracking().SingleAsync(d => d.Name == name);
        Assert.Equal(["gold", "silver"], saved.Properties.Single().EnumValues);
        var cache = _factory.Services.GetRequiredService<TaxonomyCache>();
        Assert.Contains(cache.Current.Definitions, d => d.Name == name);
    }

    [Fact]
    public async Task SaveAsync_NonEnumProperty_DropsEnumValues()
    {
        var name = $"SAVED_{Guid.NewGuid():N}";
        Assert.Empty(await Editor.SaveAsync(Definition(name, new PropertyDefinition { Name = "note", Type = PropertyType.String, EnumValues = ["x"] })));

        await using var db = _factory.CreateDbContext();
        Assert.Empty((await db.EventDefinitions.AsNoTracking().SingleAsync(d => d.Name == name)).Properties.Single().EnumValues);
    }

    [Fact]
    public async Task SaveAsync_InvalidDefinition_ReturnsErrorsAndStoresNothing()
    {
        var errors = await Editor.SaveAsync(new EventDefinition { Name = "NOT VALID" });

        Assert.Single(errors);
        await using var db = _factory.CreateDbContext();
        Assert.False(await db.EventDefinitions.AnyAsync(d => d.Name == "NOT VALID"));
    }

    [Fact]
    public async Task SaveAsync_NameTakenByAnotherDefinition_IsRejected()
    {
        var name = $"TAKEN_{Guid.NewGuid():N}";
        Assert.Empty(await Editor.SaveAsync(new EventDefinition { Name = name }));

        var errors = await Editor.SaveAsync(new EventDefinition { Name = name, Description = "second" });

        Assert.Equal([$"An event named '{name}' already exists."], errors);
        await using var db = _factory.CreateDbContext();
        Assert.Equal(1, await db.EventDefinitions.CountAsync(d => d.Name == name));
    }

    [Fact]
    public async Task SaveAsync_ExistingDefinition_IsUpdated()
    {
        var name = $"EDITED_{Guid.NewGuid():N}";
        var def = new EventDefinition { Name = name };
        Assert.Empty(await Editor.SaveAsync(def));

        def.Description = "now described";
        def.Properties.Add(new PropertyDefinition { Name = "count", Type = PropertyType.Number, Required = true });
        Assert.Empty(await Editor.SaveAsync(def));

        await using var db = _factory.CreateDbContext();
        var saved = await db.EventDefinitions.AsNoTracking().SingleAsync(d => d.Name == name);
        Assert.Equal("now described", saved.Description);
        Assert.Equal(PropertyType.Number, saved.Properties.Single().Type);
    }

    private static EventDefinition Definition(params PropertyDefinition[] properties) => Definition("VALID_NAME", properties);

    private static EventDefinition Definition(string name, params PropertyDefinition[] properties) =>
        new() { Name = name, Properties = [.. properties] };

    [Fact]
    public async Task BuiltInPageAndScreen_CannotBeDeletedOrRenamed_AndComeBackToAStoreThatLacksThem()
    {
        await using (var db = _factory.CreateDbContext())
        {
            var page = await db.EventDefinitions.AsNoTracking().SingleAsync(d => d.Name == "PAGE");
            Assert.Equal(["name", "path", "url", "referrer", "title"], page.Properties.Select(p => p.Name));
            Assert.Contains("built in", await Editor.DeleteAsync(page.Id));
            page.Name = "PAGE_VIEW";
            Assert.Contains("keeps its name", Assert.Single(await Editor.SaveAsync(page)));
        }

        // A store from before the built-in events (or one where they were removed by hand) gets them at start.
        await using (var db = _factory.CreateDbContext())
            await db.EventDefinitions.Where(d => d.Name == "PAGE" || d.Name == "SCREEN").ExecuteDeleteAsync();
        await _factory.Services.GetRequiredService<DatabaseInitializer>().MigrateAndSeedAsync(CancellationToken.None);
        await using (var db = _factory.CreateDbContext())
            Assert.Equal(["PAGE", "SCREEN"], await db.EventDefinitions.Where(d => d.Name == "PAGE" || d.Name == "SCREEN").OrderBy(d => d.Name).Select(d => d.Name).ToListAsync());
        Assert.Null(_factory.Services.GetRequiredService<TaxonomyCache>().Current.Check("SCREEN", null));
    }
}
