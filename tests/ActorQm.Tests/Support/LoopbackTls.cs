using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ActorQm.Tests.Support;

/// <summary>Real TLS handshakes between two SslStreams over a loopback socket on an ephemeral port.</summary>
internal static class LoopbackTls
{
    /// <summary>A self-signed ECDSA P-256 server certificate with its private key, made fresh for the test run.</summary>
    public static X509Certificate2 EcdsaServerCertificate(string cn = "QM2")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={cn}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Round-trip through PKCS#12 so the key is usable by OpenSSL-backed SslStream.
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A connected pair of loopback sockets on an ephemeral port: (initiator, responder).</summary>
    public static async Task<(TcpClient Initiator, TcpClient Responder)> ConnectAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new TcpClient();
        var connect = client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        var server = await listener.AcceptTcpClientAsync();
        await connect;
        return (client, server);
    }

    /// <summary>Handshakes; returns what was negotiated, or the exception of whichever side failed.</summary>
    public static async Task<(SslProtocols Protocol, TlsCipherSuite Suite)> HandshakeAsync(SslServerAuthenticationOptions server, SslClientAuthenticationOptions client)
    {
        var (clientSocket, serverSocket) = await ConnectAsync();
        using var _ = clientSocket;
        using var __ = serverSocket;
        await using var serverStream = new SslStream(serverSocket.GetStream());
        await using var clientStream = new SslStream(clientSocket.GetStream());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var serverSide = serverStream.AuthenticateAsServerAsync(server, timeout.Token);
        var clientSide = clientStream.AuthenticateAsClientAsync(client, timeout.Token);
        try
        {
            await Task.WhenAll(serverSide, clientSide);
        }
        catch
        {
            // Either side failing fails the handshake; close both so the other one ends too.
            serverSocket.Close();
            clientSocket.Close();
            await Task.WhenAll(serverSide.ContinueWith(_ => { }), clientSide.ContinueWith(_ => { }));
            throw;
        }

        return (serverStream.SslProtocol, serverStream.NegotiatedCipherSuite);
    }
}
