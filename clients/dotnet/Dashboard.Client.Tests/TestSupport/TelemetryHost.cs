using System.Collections.Concurrent;
using Dashboard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dashboard.Client.Tests.TestSupport;

/// <summary>A generic host of an app that sends telemetry, as an ASP.NET Core back end would register it.</summary>
public static class TelemetryHost
{
    public static IHost Build(Uri endpoint, Action<DashboardTelemetryOptions>? configure = null, ConcurrentQueue<string>? logs = null, TimeSpan? shutdownTimeout = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        if (logs is not null) builder.Logging.AddProvider(new CapturingLoggerProvider(logs));
        builder.Services.AddDashboardTelemetry(o =>
        {
            o.Endpoint = endpoint;
            o.WriteKey = DashboardFactory.WriteKey;
            configure?.Invoke(o);
        });
        if (shutdownTimeout is { } timeout) builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = timeout);
        return builder.Build();
    }
}
