using System.Net;
using Dashboard.Access;

namespace Dashboard.Tests.Access;

public sealed class ClientAddressTests
{
    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData("::1", "::/64")]
    public void PartitionKey_CountsIPv4AloneAndIPv6ByItsSlash64(string address, string expected) =>
        Assert.Equal(expected, ClientAddress.PartitionKey(IPAddress.Parse(address)));

    [Fact]
    public void PartitionKey_TwoAddressesOfOneSlash64_ShareABudget()
    {
        Assert.Equal(ClientAddress.PartitionKey(IPAddress.Parse("2001:db8:1:2::1")), ClientAddress.PartitionKey(IPAddress.Parse("2001:db8:1:2:ffff::9")));
        Assert.NotEqual(ClientAddress.PartitionKey(IPAddress.Parse("2001:db8:1:2::1")), ClientAddress.PartitionKey(IPAddress.Parse("2001:db8:1:3::1")));
        Assert.Equal("-", ClientAddress.PartitionKey(null));
    }
}
