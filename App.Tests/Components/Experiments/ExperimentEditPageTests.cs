using Bunit;
using Dashboard.Components.Pages.Experiments;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Components.Experiments;

public sealed class ExperimentEditPageTests : PageTestBase
{
    [Fact]
    public async Task Save_NewExperiment_CreatesADraftOnTheFlagAndOpensIt()
    {
        var key = $"form-{Guid.NewGuid():N}"[..16];
        var cut = RenderPage<ExperimentEditPage>();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=save]")), Timeout);

        // The seeded flag new_onboarding_flow (control / new_flow) is the only one with variants: it is preselected, as is PROJECT_CREATED.
        cut.Find("input[data-testid=key]").Change(key);
        cut.Find("form").Submit();

        cut.WaitForAssertion(() => Assert.EndsWith($"experiments/{key}", Navigation.Uri), Timeout);
        await using var db = Factory.CreateDbContext();
        var stored = await db.Experiments.SingleAsync(e => e.Key == key);
        Assert.Equal(ExperimentState.Draft, stored.State);
        Assert.Equal("new_onboarding_flow", stored.FlagKey);
        Assert.Equal("PROJECT_CREATED", stored.GoalEvent);
        Assert.Contains("new_flow", stored.Variants);
        Assert.Equal(0.10, stored.MinimumDetectableEffect, 12);
    }

    [Fact]
    public void Save_DuplicateKey_ShowsTheErrorInWords()
    {
        var cut = RenderPage<ExperimentEditPage>();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=save]")), Timeout);

        cut.Find("input[data-testid=key]").Change("new-onboarding-flow");
        cut.Find("form").Submit();

        cut.WaitForAssertion(() => Assert.Contains("exists", cut.Find("[data-testid=save-error]").TextContent), Timeout);
    }

    [Fact]
    public async Task Save_NewExperimentWithAMetricAndFixedHorizon_StoresThem()
    {
        var key = $"form-m-{Guid.NewGuid():N}"[..16];
        var cut = RenderPage<ExperimentEditPage>();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=save]")), Timeout);
        // The demo taxonomy has no APP_ERROR, so no guardrail is proposed.
        Assert.NotNull(cut.Find("[data-testid=no-metrics]"));

        cut.Find("input[data-testid=key]").Change(key);
        cut.Find("[data-testid=add-metric]").Click();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=metric-row]")), Timeout);
        cut.Find("form").Submit();

        cut.WaitForAssertion(() => Assert.EndsWith($"experiments/{key}", Navigation.Uri), Timeout);
        await using var db = Factory.CreateDbContext();
        var stored = await db.Experiments.SingleAsync(e => e.Key == key);
        Assert.False(stored.FixedHorizon);
        var metric = Assert.Single(Dashboard.Analytics.Experiments.ExperimentJson.Metrics(stored.Metrics));
        Assert.Equal(("secondary", "increase"), (metric.Kind, metric.Direction));
    }

    [Fact]
    public async Task Render_TaxonomyHasAppError_ProposesTheErrorGuardrail()
    {
        await using (var db = Factory.CreateDbContext())
        {
            if (!db.EventDefinitions.Any(d => d.Name == "APP_ERROR")) db.EventDefinitions.Add(new EventDefinition { Name = "APP_ERROR" });
            await db.SaveChangesAsync();
        }
        await Factory.Services.GetRequiredService<Dashboard.Schema.TaxonomyCache>().ReloadAsync();

        var cut = RenderPage<ExperimentEditPage>();

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=metric-row]")), Timeout);
        Assert.Contains("APP_ERROR", cut.Find("[data-testid=metric-row]").InnerHtml);
        Assert.Contains("Guardrail", cut.Find("[data-testid=metric-row]").TextContent);
        Assert.Contains("Decrease", cut.Find("[data-testid=metric-row]").TextContent);
    }
}
