using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ActorQm.Tests.Support;

/// <summary>Loopback ports for servers a test starts in other processes (which cannot bind port 0 and tell us).</summary>
/// <remarks>
/// A port bound to 0 and released comes from the kernel's ephemeral range, where it can be handed out again, to another
/// bind or as the source port of any outgoing connection, before the child process binds it: a cluster node once found a
/// client's listener port taken by another node's Akka.Remote. These come from below that range instead, each at most
/// once per test process, starting at a point that differs between processes.
/// </remarks>
internal static class Loopback
{
    private const int First = 10_000;
    private static readonly int Last = EphemeralLow() - 1;
    private static readonly Lock Gate = new();
    private static int _next = First + (Environment.ProcessId * 7919 % (Last - First));
    private static int _handedOut;

    public static int FreePort()
    {
        lock (Gate)
        {
            while (_handedOut < Last - First)
            {
                var port = _next;
                _next = _next >= Last ? First : _next + 1;
                _handedOut++;
                if (Bindable(port))
                {
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"no loopback port left between {First} and {Last}");
    }

    private static bool Bindable(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The lowest port the kernel hands out on its own (Linux's ip_local_port_range; 32768 when it cannot be read).</summary>
    private static int EphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.TryParse(range[0], NumberStyles.None, CultureInfo.InvariantCulture, out var low) && low > First + 1000 ? low : 32_768;
        }
        catch (IOException)
        {
            return 32_768;
        }
    }
}
