using Bunit;
using Dashboard.Components.Pages.Experiments;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

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
}
