using Dashboard.Analytics;
using Dashboard.Analytics.Activation;
using Dashboard.Analytics.Activity;
using Dashboard.Analytics.Engagement;
using Dashboard.Analytics.Experiments;
using Dashboard.Analytics.Funnels;
using Dashboard.Analytics.Retention;
using Dashboard.Analytics.Trends;
using Dashboard.Analytics.WeeklyReview;

namespace Dashboard.Setup;

public static class AnalyticsSetup
{
    public static IServiceCollection AddDashboardAnalytics(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<AnalyticsOptions>(configuration.GetSection("Analytics"));
        services.AddSingleton<QueryGate>();
        // Stateless: each run opens its own DbContext from the factory.
        services.AddSingleton<ActivityQuery>();
        services.AddSingleton<ActivationQuery>();
        services.AddSingleton<ActivationTrendQuery>();
        services.AddSingleton<FunnelQuery>();
        services.AddSingleton<TrendsQuery>();
        services.AddSingleton<SavedFunnels>();
        services.AddSingleton<SavedTrends>();
        services.AddSingleton<FeatureEngagementQuery>();
        services.AddSingleton<RetentionQuery>();
        services.AddSingleton<AccountTraitKeysQuery>();
        services.AddSingleton<NewUsersQuery>();
        services.AddSingleton<WeeklyReviewQuery>();
        services.AddSingleton<ExperimentResultsQuery>();
        services.AddSingleton<ExperimentEditor>();
        services.AddSingleton<Dashboard.Cohorts.CohortMembership>();
        services.AddSingleton<Dashboard.Cohorts.CohortEditor>();
        services.AddSingleton<Dashboard.People.PersonQuery>();
        services.AddSingleton<Dashboard.People.PeopleQuery>();
        services.AddSingleton<Dashboard.People.PersonEventsQuery>();
        services.AddSingleton<Dashboard.Annotations.AnnotationsQuery>();
        services.AddSingleton<Dashboard.Annotations.AnnotationLog>();
        return services;
    }

    public static WebApplication MapDashboardAnalytics(this WebApplication app)
    {
        app.MapInsights();
        app.MapExperiments();
        Dashboard.Cohorts.CohortEndpoints.MapCohorts(app);
        Dashboard.People.PeopleEndpoints.MapPeople(app);
        Dashboard.Annotations.AnnotationEndpoints.MapAnnotations(app);
        return app;
    }
}
