using System.Net;

namespace Dashboard.Access;

/// <summary>
/// The part of a client's address that throttles and rate limits count by. An IPv4 address (or an
/// IPv4-mapped IPv6 one) counts alone; an IPv6 client counts by its /64 network, since one host is
/// usually handed a whole /64 and could otherwise open a fresh budget per address.
/// </summary>
public static class ClientAddress
{
    public static string PartitionKey(IPAddress? address)
    {
        if (address is null) return "-";
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6) return address.ToString();
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }
}
