using Dashboard.Access;
using Dashboard.Components;
using Dashboard.Data;
using Dashboard.Ingest;
using Dashboard.Rollups;
using Dashboard.Schema;
using MudBlazor.Services;

namespace Dashboard.Setup;

public static class DashboardSetup
{
    public static WebApplicationBuilder AddDashboard(this WebApplicationBuilder builder)
    {
        AddTopLevelSettings(builder);
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddDashboardData();
        // Before the writer, so the schema exists when the writer prepares its commands.
        services.AddHostedService<StartupTasks>();
        services.AddDashboardIngest(builder.Configuration);
        services.AddDashboardAccess(builder.Configuration, builder.Environment);
        services.AddSingleton<OverviewQuery>();
        services.AddSingleton<EventDefinitionsQuery>();
        services.AddSingleton<QuarantineQuery>();
        services.AddSingleton<TaxonomyEditor>();
        services.AddDashboardAnalytics(builder.Configuration);
        services.AddDashboardOperations();
        services.AddDashboardFlags(builder.Configuration);
        services.AddDashboardJobs();
        services.AddDashboardDigest();
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddOpenApi();
        services.AddHealthChecks();
        services.Configure<Microsoft.AspNetCore.Http.Json.JsonOptions>(o =>
            o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase);
        return builder;
    }

    public static WebApplication MapDashboard(this WebApplication app)
    {
        app.UseSecurityHeaders();
        if (!app.Environment.IsDevelopment()) app.UseExceptionHandler("/error", createScopeForErrors: true);
        app.UseStatusCodePagesWithReExecute("/status/{0}", createScopeForStatusCodePages: true);
        app.UseDashboardAccess();
        app.UseAntiforgery();
        app.MapStaticAssets().AllowAnonymous();
        app.MapOpenApi("/openapi/{documentName}.json").RequireAuthorization(AccessPolicies.Reader);
        app.MapHealthChecks("/healthz").AllowAnonymous();
        app.MapDashboardOperations();
        app.MapIngest();
        app.MapSchemaEndpoints();
        app.MapDashboardAnalytics();
        app.MapDashboardFlags();
        app.MapAccountEndpoints();
        app.MapDashboardJobs();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }

    /// <summary>
    /// The settings file lives at the repository's top level and is copied next to the binary; it
    /// is loaded right after the framework's own appsettings sources, so environment variables and
    /// the command line still override it.
    /// </summary>
    private static void AddTopLevelSettings(WebApplicationBuilder builder)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        if (!File.Exists(path)) return;
        var sources = builder.Configuration.Sources;
        var index = sources.Select((s, i) => (s, i))
            .Where(x => x.s is Microsoft.Extensions.Configuration.Json.JsonConfigurationSource)
            .Select(x => x.i + 1).DefaultIfEmpty(0).Min();
        builder.Configuration.Sources.Insert(index, new Microsoft.Extensions.Configuration.Json.JsonConfigurationSource
        {
            Path = "appsettings.json",
            Optional = true,
            ReloadOnChange = false,
            FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(AppContext.BaseDirectory),
        });
    }
}
