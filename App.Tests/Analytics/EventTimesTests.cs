using Dashboard.Analytics.Rollups;

namespace Dashboard.Tests.Analytics;

public sealed class EventTimesTests
{
    private struct Collect(List<(long User, long Ts)> seen, long skip) : EventTimes.ISink
    {
        private long _user;

        public bool User(long userId)
        {
            _user = userId;
            return userId != skip;
        }

        public readonly void Add(long timestamp) => seen.Add((_user, timestamp));
    }

    [Fact]
    public void EncodeDecode_UsersInOrderTimesSortedWithTies()
    {
        var packed = EventTimes.Encode(new SortedDictionary<long, List<long>>
        {
            [70] = [1_764_000_000_000],
            [5] = [1_764_000_000_300, 1_764_000_000_100, 1_764_000_000_100],
            [9] = [],
        });
        List<(long, long)> seen = [];
        var all = new Collect(seen, skip: -1);

        EventTimes.Decode(packed, ref all);

        Assert.Equal([(5, 1_764_000_000_100), (5, 1_764_000_000_100), (5, 1_764_000_000_300), (70, 1_764_000_000_000)], seen);
    }

    [Fact]
    public void Decode_UserNotWanted_IsSkippedWithoutItsTimes()
    {
        var packed = EventTimes.Encode(new SortedDictionary<long, List<long>> { [5] = [100, 200], [6] = [150], [7] = [300] });
        List<(long, long)> seen = [];
        var sink = new Collect(seen, skip: 6);

        EventTimes.Decode(packed, ref sink);

        Assert.Equal([(5, 100), (5, 200), (7, 300)], seen);
    }
}
