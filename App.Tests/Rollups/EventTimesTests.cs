using Dashboard.Rollups;

namespace Dashboard.Tests.Rollups;

public sealed class EventTimesTests
{
    private struct Collect(List<(long User, long Ts)> seen, long skip, Dictionary<long, int>? counts = null) : EventTimes.ISink
    {
        private long _user;

        public bool User(long userId, ReadOnlySpan<byte> times)
        {
            _user = userId;
            counts?.Add(userId, EventTimes.Count(times));
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
        Dictionary<long, int> counts = [];
        var all = new Collect(seen, skip: -1, counts);

        EventTimes.Decode(packed, ref all);

        Assert.Equal([(5, 1_764_000_000_100), (5, 1_764_000_000_100), (5, 1_764_000_000_300), (70, 1_764_000_000_000)], seen);
        Assert.Equal(new Dictionary<long, int> { [5] = 3, [70] = 1 }, counts);
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

    [Fact]
    public void Count_LongRowsAcrossVectorWidths_CountsOneValuePerVarint()
    {
        // 40 timestamps, one second apart after the first: 6 bytes, then 2 bytes each (1000 ms): 84 bytes.
        var times = Enumerable.Range(0, 40).Select(i => 1_764_000_000_000L + i * 1000L).ToList();
        var packed = EventTimes.Encode(new SortedDictionary<long, List<long>> { [3] = times });
        Dictionary<long, int> counts = [];
        var sink = new Collect([], skip: -1, counts);

        EventTimes.Decode(packed, ref sink);

        Assert.Equal(40, counts[3]);
    }
}
