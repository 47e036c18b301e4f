using Bunit;
using Bunit.TestDoubles;
using Dashboard.Access;
using Dashboard.Analytics.Activation;
using Dashboard.Analytics.Activity;
using Dashboard.Analytics.Engagement;
using Dashboard.Analytics.Funnels;
using Dashboard.Analytics.Retention;
using Dashboard.Analytics.WeeklyReview;
using Dashboard.Data;
using Dashboard.Ingest;
using Dashboard.Live;
using Dashboard.Rollups;
using Dashboard.Schema;
using Dashboard.Tests.TestSupport;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace Dashboard.Tests.Components;

/// <summary>
/// Shared setup for page tests: a real app on its own SQLite file supplies the queries and
/// writers, bUnit renders the page with MudBlazor's services and loose JS interop, and both are
/// disposed asynchronously.
/// </summary>
public abstract class PageTestBase : IAsyncLifetime
{
    /// <summary>Loads run against SQLite on a busy machine: wait generously, never retry.</summary>
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    protected DashboardFactory Factory { get; } = new();

    protected BunitContext Context { get; } = new();

    protected BunitAuthorizationContext Authorization { get; private set; } = default!;

    /// <summary>Renders the following pages as a signed-in viewer instead of an admin.</summary>
    protected void SignInAsViewer()
    {
        Authorization.SetAuthorized("test-viewer");
        Authorization.SetRoles(AccountRoles.Viewer);
    }

    public Task InitializeAsync()
    {
        var app = Factory.Services; // starts the app: migrations and the seeded taxonomy
        Context.JSInterop.Mode = JSRuntimeMode.Loose;
        Context.Services.AddMudServices();
        Context.Services.AddSingleton(app.GetRequiredService<IDbContextFactory<DashboardDbContext>>());
        Context.Services.AddSingleton(app.GetRequiredService<OverviewQuery>());
        Context.Services.AddSingleton(app.GetRequiredService<Dashboard.Operations.OperationsFigures>());
        Context.Services.AddSingleton(app.GetRequiredService<IngestNotifier>());
        Context.Services.AddSingleton(app.GetRequiredService<EventDefinitionsQuery>());
        Context.Services.AddSingleton(app.GetRequiredService<QuarantineQuery>());
        Context.Services.AddSingleton(app.GetRequiredService<QuarantineReplayer>());
        Context.Services.AddSingleton(app.GetRequiredService<TaxonomyEditor>());
        Context.Services.AddSingleton(app.GetRequiredService<ApiKeyStore>());
        Context.Services.AddSingleton(app.GetRequiredService<PeopleAdmin>());
        Context.Services.AddSingleton(app.GetRequiredService<TimeProvider>());
        Context.Services.AddSingleton(app.GetRequiredService<Dashboard.Analytics.QueryGate>());
        Context.Services.AddSingleton(app.GetRequiredService<TaxonomyCache>());
        Context.Services.AddSingleton(app.GetRequiredService<ActivityQuery>());
        Context.Services.AddSingleton(app.GetRequiredService<ActivationQuery>());
        Context.Services.AddSingleton(app.GetRequiredService<ActivationTrendQuery>());
        Context.Services.AddSingleton(app.GetRequiredService<FunnelQuery>());
        Context.Services.AddSingleton(app.GetRequiredService<SavedFunnels>());
        Context.Services.AddSingleton(app.GetRequiredService<Dashboard.Analytics.Trends.TrendsQuery>());
        Context.Services.AddSingleton(app.GetRequiredService<Dashboard.Analytics.Trends.SavedTrends>());
        Context.Services.AddSingleton(app.GetRequiredService<Dashboard.Annotations.AnnotationsQuery>());
        Context.Services.AddSingleton(app.GetRequiredService<Dashboard.Annotations.AnnotationLog>());
        Context.Services.AddSingleton(app.GetRequiredService<FeatureEngagementQuery>());
        Context.Services.AddSingleton(app.GetRequiredService<RetentionQuery>());
        Context.Services.AddSingleton(app.GetRequiredService<Dashboard.Analytics.AccountTraitKeysQuery>());
        Context.Services.AddSingleton(app.GetRequiredService<WeeklyReviewQuery>());
        Context.Services.AddSingleton(app.GetRequiredService<Dashboard.Flags.FlagQueries>());
        Context.Services.AddSingleton(app.GetRequiredService<Dashboard.Flags.FlagAdmin>());
        Context.Services.AddSingleton(app.GetRequiredService<Dashboard.Analytics.Experiments.ExperimentResultsQuery>());
        Context.Services.AddSingleton(app.GetRequiredService<Dashboard.Analytics.Experiments.ExperimentEditor>());
        Context.Services.AddSingleton(app.GetRequiredService<Dashboard.People.PeopleQuery>());
        Context.Services.AddSingleton(app.GetRequiredService<Dashboard.People.PersonQuery>());
        Context.Services.AddSingleton(app.GetRequiredService<Dashboard.People.PersonEventsQuery>());
        // Pages read the signed-in person's role: render as an admin unless the test says otherwise.
        Authorization = Context.AddAuthorization();
        Authorization.SetAuthorized("test-admin");
        Authorization.SetRoles(AccountRoles.Admin);
        // The renderer is built from the services, so it comes last.
        Context.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Context.DisposeAsync();
        await Factory.DisposeAsync();
    }

    /// <summary>
    /// Renders a page after a popover provider, as the layout would (selects and menus need one).
    /// Query-string parameters come from <paramref name="uri"/>, as in the browser.
    /// </summary>
    protected IRenderedComponent<TPage> RenderPage<TPage>(Action<ComponentParameterCollectionBuilder<TPage>>? parameters = null, string? uri = null)
        where TPage : IComponent
    {
        if (uri is not null) Navigation.NavigateTo(uri);
        Context.Render<MudPopoverProvider>();
        return Context.Render<TPage>(parameters ?? (_ => { }));
    }

    /// <summary>Today (UTC): page tests place their events relative to it, as the pages default to recent days.</summary>
    protected static DateOnly Today { get; } = DateOnly.FromDateTime(DateTime.UtcNow);

    /// <summary>An ISO-8601 instant on the day at the hour (UTC).</summary>
    protected static string At(DateOnly day, int hour = 12) => $"{day:yyyy-MM-dd}T{hour:00}:00:00Z";

    protected NavigationManager Navigation => Context.Services.GetRequiredService<NavigationManager>();

    /// <summary>Posts events to the running app through the real ingest endpoint.</summary>
    protected async Task PostAsync(params object[] events)
    {
        using var client = Factory.CreateIngestClient();
        var response = await client.PostAsync("/ingest", System.Net.Http.Json.JsonContent.Create(new { batch = events }));
        response.EnsureSuccessStatusCode();
    }
}
