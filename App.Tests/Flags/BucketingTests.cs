using System.Text;
using Dashboard.Flags;

namespace Dashboard.Tests.Flags;

public sealed class BucketingTests
{
    [Theory]
    [InlineData("", 0u)]
    [InlineData("hello", 613153351u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x2e4ff723u)]
    public void Hash32_ReferenceInputs_MatchesPublishedValues(string input, uint expected) =>
        Assert.Equal(expected, Murmur3.Hash32(Encoding.UTF8.GetBytes(input), 0));

    // The same vectors are listed in the README, under the hash version they belong to.
    [Fact]
    public void HashVersion_TestVectorsBelowAreVersionOne() => Assert.Equal(1, Bucketing.HashVersion);

    [Theory]
    [InlineData("new_onboarding_flow", "user-00001", 9772, 4429)]
    [InlineData("new_onboarding_flow", "user-00002", 1429, 4870)]
    [InlineData("new_onboarding_flow", "user-00003", 1485, 4924)]
    [InlineData("checkout_v2", "alice", 3473, 3628)]
    [InlineData("checkout_v2", "bob", 4115, 4514)]
    [InlineData("checkout_v2", "Zoë", 4104, 178)]
    public void Buckets_TestVectors_MatchTheDocumentedTable(string flag, string user, int rollout, int variant)
    {
        Assert.Equal(rollout, Bucketing.RolloutBucket(flag, user));
        Assert.Equal(variant, Bucketing.VariantBucket(flag, user));
    }

    [Fact]
    public void InRollout_BucketBelowRollout_IsIn()
    {
        // user-00002 has bucket 1429: in at 14.30%, out at 14.29%.
        Assert.True(Bucketing.InRollout("new_onboarding_flow", "user-00002", 1430));
        Assert.False(Bucketing.InRollout("new_onboarding_flow", "user-00002", 1429));
    }

    [Fact]
    public void InRollout_LongKey_UsesTheHeapBufferAndAgreesWithTheHash()
    {
        var user = new string('x', 600);
        var expected = (int)(Murmur3.Hash32(Encoding.UTF8.GetBytes($"f:{user}"), 0) % 10_000);
        Assert.Equal(expected, Bucketing.RolloutBucket("f", user));
    }
}
