using System.Net;
using System.Net.Sockets;

namespace ActorQm.Tests.Support;

/// <summary>Loopback ports for servers a test starts in other processes (which cannot bind port 0 and tell us).</summary>
internal static class Loopback
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
