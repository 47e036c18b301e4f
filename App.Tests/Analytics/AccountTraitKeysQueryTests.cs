using Dashboard.Analytics;
using Dashboard.Tests.TestSupport;

namespace Dashboard.Tests.Analytics;

public sealed class AccountTraitKeysQueryTests : IAsyncLifetime
{
    private readonly DashboardFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task RunAsync_AccountsWithTraits_ListsEveryTopLevelKeyOnceInOrder()
    {
        await new AnalyticsData(_factory.Services)
            .Account("acme", new { plan = "enterprise", industry = "retail" })
            .Account("globex", new { seats = 40, plan = "pro" })
            .Account("initech", new { })
            .SaveAsync();

        var keys = await new AccountTraitKeysQuery(_factory.Db()).RunAsync();

        Assert.Equal(["industry", "plan", "seats"], keys);
    }

    [Fact]
    public async Task RunAsync_NoAccounts_ListsNothing()
    {
        Assert.Empty(await new AccountTraitKeysQuery(_factory.Db()).RunAsync());
    }
}
