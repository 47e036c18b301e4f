using AngleSharp.Dom;
using Bunit;
using Dashboard.Components.Pages.Events;
using Dashboard.Data;
using Dashboard.Schema;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Components;

public sealed class EventDefinitionEditPageTests : PageTestBase
{
    [Fact]
    public async Task Save_BadEventName_ShowsErrorAndStoresNothing()
    {
        var cut = RenderPage<EventDefinitionEditPage>();
        var start = Navigation.Uri;

        cut.Find("input[data-testid=event-name]").Change("1 bad name");
        await cut.Find("form").SubmitAsync();

        cut.WaitForAssertion(() => Assert.Contains("The event name must start with a letter",
            cut.Find("[data-testid=errors]").TextContent), Timeout);
        Assert.Equal(start, Navigation.Uri);
        await using var db = Factory.CreateDbContext();
        Assert.False(await db.EventDefinitions.AnyAsync(d => d.Name == "1 bad name"));
    }

    [Fact]
    public async Task Save_BadPropertyName_ShowsError()
    {
        var name = $"GOOD_{Guid.NewGuid():N}";
        var cut = RenderPage<EventDefinitionEditPage>();
        cut.Find("input[data-testid=event-name]").Change(name);
        Button(cut, "Add property").Click();

        InputLabelled(cut, "Name").Change("first-name");
        await cut.Find("form").SubmitAsync();

        cut.WaitForAssertion(() => Assert.Contains("Property name 'first-name' must be an identifier",
            cut.Find("[data-testid=errors]").TextContent), Timeout);
        await using var db = Factory.CreateDbContext();
        Assert.False(await db.EventDefinitions.AnyAsync(d => d.Name == name));
    }

    [Fact]
    public async Task Save_ExistingName_ShowsError()
    {
        var cut = RenderPage<EventDefinitionEditPage>();

        cut.Find("input[data-testid=event-name]").Change("USER_REGISTERED");
        await cut.Find("form").SubmitAsync();

        cut.WaitForAssertion(() => Assert.Contains("An event named 'USER_REGISTERED' already exists.",
            cut.Find("[data-testid=errors]").TextContent), Timeout);
    }

    [Fact]
    public async Task Save_ValidNewEvent_IsStoredAndGoesBackToTheList()
    {
        var name = $"NEW_{Guid.NewGuid():N}";
        var cut = RenderPage<EventDefinitionEditPage>();

        cut.Find("input[data-testid=event-name]").Change(name);
        Button(cut, "Add property").Click();
        InputLabelled(cut, "Name").Change("orderId");
        await cut.Find("form").SubmitAsync();

        cut.WaitForAssertion(() => Assert.EndsWith("/events", Navigation.Uri), Timeout);
        await using var db = Factory.CreateDbContext();
        var saved = await db.EventDefinitions.AsNoTracking().SingleAsync(d => d.Name == name);
        Assert.Equal("orderId", Assert.Single(saved.Properties).Name);
    }

    [Fact]
    public async Task Save_ExistingEventEdited_IsUpdated()
    {
        var name = $"EDIT_{Guid.NewGuid():N}";
        var editor = Factory.Services.GetRequiredService<TaxonomyEditor>();
        Assert.Empty(await editor.SaveAsync(new EventDefinition
        {
            Name = name,
            Properties = [new PropertyDefinition { Name = "size", Type = PropertyType.Number, Required = true }],
        }));
        var cut = RenderPage<EventDefinitionEditPage>(p => p.Add(x => x.Name, name));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("form")), Timeout);

        InputLabelled(cut, "Description").Change("Edited in the form");
        Button(cut, "Add property").Click();
        cut.FindAll("label").Where(l => l.TextContent.Trim() == "Name")
            .Select(l => cut.Find($"#{l.GetAttribute("for")}"))
            .Single(i => string.IsNullOrEmpty(i.GetAttribute("value")))
            .Change("color");
        await cut.Find("form").SubmitAsync();

        cut.WaitForAssertion(() => Assert.EndsWith("/events", Navigation.Uri), Timeout);
        await using var db = Factory.CreateDbContext();
        var saved = await db.EventDefinitions.AsNoTracking().SingleAsync(d => d.Name == name);
        Assert.Equal("Edited in the form", saved.Description);
        Assert.Equal(["size", "color"], saved.Properties.Select(p => p.Name));
    }

    [Fact]
    public void Render_SuggestedName_PrefillsTheForm()
    {
        var cut = RenderPage<EventDefinitionEditPage>(uri: "events/new?name=FROM_QUARANTINE");

        cut.WaitForAssertion(() => Assert.Equal("FROM_QUARANTINE", cut.Find("input[data-testid=event-name]").GetAttribute("value")), Timeout);
    }

    [Fact]
    public void Render_ExistingEvent_ShowsItsProperties()
    {
        var cut = RenderPage<EventDefinitionEditPage>(p => p.Add(x => x.Name, "USER_REGISTERED"));

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("USER_REGISTERED", cut.Find("h1").TextContent);
            var values = cut.FindAll("input").Select(i => i.GetAttribute("value")).ToList();
            Assert.Contains("referralSource", values);
            Assert.Contains("planType", values);
            Assert.Contains("free, premium", values);
        }, Timeout);
    }

    [Fact]
    public void Render_UnknownEvent_OffersToDefineIt()
    {
        var cut = RenderPage<EventDefinitionEditPage>(p => p.Add(x => x.Name, "NOPE"));

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("No event named “NOPE” is defined.", cut.Markup);
            Assert.NotNull(cut.Find("a[href='events/new?name=NOPE']"));
            Assert.Empty(cut.FindAll("form"));
        }, Timeout);
    }

    private static IElement Button(IRenderedComponent<EventDefinitionEditPage> cut, string text) =>
        cut.FindAll("button").Single(b => b.TextContent.Trim() == text);

    /// <summary>The first input whose label reads exactly <paramref name="label"/>.</summary>
    private static IElement InputLabelled(IRenderedComponent<EventDefinitionEditPage> cut, string label)
    {
        var id = cut.FindAll("label").First(l => l.TextContent.Trim() == label).GetAttribute("for");
        return cut.Find($"#{id}");
    }
}
