using Dashboard.Digest;

namespace Dashboard.Setup;

public static class DigestSetup
{
    public static IServiceCollection AddDashboardDigest(this IServiceCollection services)
    {
        services.AddOptions<DigestOptions>().BindConfiguration("Digest");
        services.AddSingleton<DigestRecipients>();
        services.AddSingleton<DigestDelivery>();
        services.AddTransient<DigestJob>();
        // A webhook's URL is its secret: no request lines for this client.
        services.AddHttpClient(DigestDelivery.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(30)).RemoveAllLoggers();
        return services;
    }
}
