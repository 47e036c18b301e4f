using Dashboard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Client.Tests.TestSupport;

/// <summary>The real dashboard on Kestrel with a fresh SQLite file, shared by a test class; tests keep apart by unique user ids and flag keys.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public DashboardFactory Factory { get; } = new(kestrel: true);

    public Uri Address => Factory.ServerAddress;

    public Task InitializeAsync()
    {
        _ = Factory.ServerAddress; // starts the server
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();

    /// <summary>The events stored for a user id.</summary>
    public async Task<List<string>> StoredEventsAsync(string userId)
    {
        await using var db = Factory.CreateDbContext();
        return await db.Events
            .Where(e => db.TrackedUsers.Any(u => u.Id == e.UserId && u.Key == userId))
            .OrderBy(e => e.Id)
            .Select(e => e.Name + " " + e.Properties)
            .ToListAsync();
    }

    public HttpClient AdminClient()
    {
        var client = new HttpClient { BaseAddress = Address };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", DashboardFactory.AdminKey);
        return client;
    }
}
