using System.Buffers;
using System.Text;

namespace Dashboard.Flags;

/// <summary>
/// Deterministic bucketing, version <see cref="HashVersion"/>:
/// <c>bucket = murmur3_x86_32(utf8("{flagKey}:{userId}"), seed 0) mod 10000</c>, in the rollout when
/// <c>bucket &lt; rolloutPercent × 100</c>; the variant uses an independent hash of
/// <c>"{flagKey}:variant:{userId}"</c>. Test vectors are listed in the README. The evaluator keeps
/// each flag's prefixes encoded (<see cref="RolloutPrefix"/>, <see cref="VariantPrefix"/>) so a
/// bucket allocates nothing.
/// </summary>
public static class Bucketing
{
    /// <summary>The version of the hash below; any change to its input or arithmetic moves users and needs a new one.</summary>
    public const int HashVersion = 1;

    public const int Buckets = 10_000;

    public static byte[] RolloutPrefix(string flagKey) => Encoding.UTF8.GetBytes(flagKey + ":");

    public static byte[] VariantPrefix(string flagKey) => Encoding.UTF8.GetBytes(flagKey + ":variant:");

    public static int RolloutBucket(string flagKey, string userId) => Bucket(RolloutPrefix(flagKey), userId);

    public static int VariantBucket(string flagKey, string userId) => Bucket(VariantPrefix(flagKey), userId);

    /// <summary>True when the user is inside a rollout given in hundredths of a percent (0..10000).</summary>
    public static bool InRollout(string flagKey, string userId, int rolloutBasisPoints) =>
        RolloutBucket(flagKey, userId) < rolloutBasisPoints;

    /// <summary><c>murmur3_x86_32(prefix ‖ utf8(userId), seed 0) mod 10000</c>.</summary>
    public static int Bucket(ReadOnlySpan<byte> prefix, string userId)
    {
        var max = prefix.Length + Encoding.UTF8.GetMaxByteCount(userId.Length);
        var rented = max <= 256 ? null : ArrayPool<byte>.Shared.Rent(max);
        Span<byte> buffer = rented ?? stackalloc byte[256];
        prefix.CopyTo(buffer);
        var length = prefix.Length + Encoding.UTF8.GetBytes(userId, buffer[prefix.Length..]);
        var hash = Murmur3.Hash32(buffer[..length], 0);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        return (int)(hash % Buckets);
    }
}

/// <summary>MurmurHash3 x86 32-bit (Austin Appleby's public-domain reference).</summary>
public static class Murmur3
{
    public static uint Hash32(ReadOnlySpan<byte> data, uint seed)
    {
        const uint c1 = 0xcc9e2d51, c2 = 0x1b873593;
        var h = seed;
        var blocks = data.Length / 4;
        for (var i = 0; i < blocks; i++)
        {
            var k = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i * 4, 4));
            k *= c1;
            k = uint.RotateLeft(k, 15);
            k *= c2;
            h ^= k;
            h = uint.RotateLeft(h, 13);
            h = h * 5 + 0xe6546b64;
        }
        var tail = data[(blocks * 4)..];
        uint k1 = 0;
        switch (tail.Length)
        {
            case 3: k1 ^= (uint)tail[2] << 16; goto case 2;
            case 2: k1 ^= (uint)tail[1] << 8; goto case 1;
            case 1:
                k1 ^= tail[0];
                k1 *= c1;
                k1 = uint.RotateLeft(k1, 15);
                k1 *= c2;
                h ^= k1;
                break;
        }
        h ^= (uint)data.Length;
        h ^= h >> 16;
        h *= 0x85ebca6b;
        h ^= h >> 13;
        h *= 0xc2b2ae35;
        h ^= h >> 16;
        return h;
    }
}
