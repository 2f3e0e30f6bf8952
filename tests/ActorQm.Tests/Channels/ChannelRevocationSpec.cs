using System.Buffers.Binary;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using ActorQm.Protocol;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Xunit.Abstractions;

namespace ActorQm.Tests.Channels;

/// <summary>
/// Revocation per channel (tls.channel-revocation, beyond MQ; docs/tls.md): a channel's own AUTHINFO set and OCSPAuthentication
/// apply in the handshake, and a caller cannot choose the weaker of two policies by naming one channel in its TLS server name and
/// another in its initial data. The strict policy is a real OCSP source that cannot answer (nothing listens on its port), with
/// OCSPAuthentication required; the lenient one has no source and is optional.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ChannelRevocationSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private const string Suite = "TLS_AES_128_GCM_SHA256";
    private readonly TempDirectory _dir = new();

    private static string Authinfo(int deadPort) => $"""
        DEFINE AUTHINFO('DEAD.OCSP') AUTHTYPE(OCSP) OCSPURL('http://127.0.0.1:{deadPort}/')
        DEFINE NAMELIST('STRICT.AUTH') NAMES('DEAD.OCSP')
        DEFINE NAMELIST('OPEN.AUTH') NAMES()
        """;

    private static string Svrconn(string name) =>
        $"DEFINE CHANNEL('{name}') CHLTYPE(SVRCONN) SSLCIPH({Suite}) SSLCAUTH(REQUIRED) SSLPEER('CN=APP*,O=Example') MCAUSER('app')";

    private async Task<int> Start(string mqsc, string hocon)
    {
        var key = QueueManagerPair.KeyRepository(_dir, "qm2key", "ibmwebspheremqqm2", TestPki.Shared.Qm2);
        var qm = await QueueManagerPair.Start(Sys, _dir, "QM2", $"""
            ALTER QMGR SSLKEYR('{key}')
            {Authinfo(DeadPort())}
            {mqsc}
            {TestGrants.App()}
            DEFINE LISTENER('L1') PORT(0) IPADDR('127.0.0.1') CONTROL(QMGR)
            """, hocon);
        return await QueueManagerPair.ListenerPort(qm.Actor);
    }

    [Fact]
    public async Task Channel_revocation_must_let_a_channel_with_its_own_lenient_policy_in_and_not_lend_it_to_another_channel()
    {
        var port = await Start($"""
            ALTER QMGR SSLCRLNL('STRICT.AUTH')
            {Svrconn("APP.SVRCONN")}
            {Svrconn("WEAK.SVRCONN")}
            """, """tls.channel-revocation { "WEAK.SVRCONN" { crl-namelist = OPEN.AUTH, ocsp-authentication = optional } }""");
        var refusals = CreateTestProbe();
        Sys.EventStream.Subscribe(refusals.Ref, typeof(Handshake.ChannelSslError));

        // The channel's own policy applies when the caller names it in both places ...
        Assert.IsType<InitialDataReply>(await Call(port, serverName: "WEAK.SVRCONN", channel: "WEAK.SVRCONN"));

        // ... the queue manager's strict one to any other channel: refused in the handshake ...
        var strict = Assert.IsType<StatusSegment>(await Call(port, serverName: "APP.SVRCONN", channel: "APP.SVRCONN"));
        Assert.Equal("AMQ9716E", strict.AmqCode);
        var atHandshake = await refusals.ExpectMsgAsync<Handshake.ChannelSslError>(TimeSpan.FromSeconds(20));
        Assert.Equal((HandshakeStep.Revocation, "AMQ9716E"), (atHandshake.Step, atHandshake.AmqCode));

        // ... and a caller that names the lenient channel in its server name and the strict one in its initial data is refused
        // once the initial data names it (before: the handshake's lenient answer stood for the strict channel).
        var borrowed = Assert.IsType<StatusSegment>(await Call(port, serverName: "WEAK.SVRCONN", channel: "APP.SVRCONN"));
        Assert.Equal("AMQ9716E", borrowed.AmqCode);
        Assert.Contains("WEAK.SVRCONN", borrowed.Text, StringComparison.Ordinal);
        await refusals.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task Channel_revocation_must_apply_a_channels_own_strict_policy_whatever_server_name_the_caller_sends()
    {
        var port = await Start($"""
            {Svrconn("APP.SVRCONN")}
            {Svrconn("STRICT.SVRCONN")}
            """, """tls.channel-revocation { "STRICT.SVRCONN" { crl-namelist = STRICT.AUTH } }""");

        // The queue manager checks no revocation: other channels run.
        Assert.IsType<InitialDataReply>(await Call(port, serverName: "APP.SVRCONN", channel: "APP.SVRCONN"));
        // The strict channel named in the server name: its OCSP source cannot answer, so the handshake refuses.
        Assert.Equal("AMQ9716E", Assert.IsType<StatusSegment>(await Call(port, serverName: "STRICT.SVRCONN", channel: "STRICT.SVRCONN")).AmqCode);
        // Another name, or none, does not get around it.
        Assert.Equal("AMQ9716E", Assert.IsType<StatusSegment>(await Call(port, serverName: "APP.SVRCONN", channel: "STRICT.SVRCONN")).AmqCode);
        Assert.Equal("AMQ9716E", Assert.IsType<StatusSegment>(await Call(port, serverName: "qm2.example.com", channel: "STRICT.SVRCONN")).AmqCode);
    }

    [Fact]
    public async Task Channel_revocation_must_apply_a_senders_own_policy_to_its_partner()
    {
        var refusals = CreateTestProbe();
        Sys.EventStream.Subscribe(refusals.Ref, typeof(Handshake.ChannelSslError));
        var pair = await QueueManagerPair.StartAsync(Sys, _dir, qm1Extra: Authinfo(DeadPort()),
            qm1Hocon: $$"""tls.channel-revocation { "{{QueueManagerPair.Channel}}" { crl-namelist = STRICT.AUTH } }""");
        await pair.Conn1.RunMqscAsync($"START CHANNEL('{QueueManagerPair.Channel}')");

        var refused = await refusals.FishForMessageAsync<Handshake.ChannelSslError>(e => e.Role == HandshakeRole.Initiator, TimeSpan.FromSeconds(20));
        Assert.Equal((HandshakeStep.Revocation, "AMQ9716E", QueueManagerPair.Channel), (refused.Step, refused.AmqCode, refused.ChannelName));
    }

    /// <summary>A loopback port nothing listens on: an OCSP source there is refused at once, so its status is unknown.</summary>
    private static int DeadPort()
    {
        using var probe = new TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>A client connection: TLS with <paramref name="serverName"/> (MQ's SNI encoding when it is a channel), then initial data for <paramref name="channel"/>; the first frame answered.</summary>
    private async Task<Segment> Call(int port, string serverName, string channel)
    {
        var path = QueueManagerPair.KeyRepository(_dir, "app-" + Guid.NewGuid().ToString("N"), "app", TestPki.Leaf(TestPki.Shared.Ca, "CN=APP1,O=Example").WithKey());
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        await using var stream = new SslStream(tcp.GetStream());
        await stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = serverName.Contains('.', StringComparison.Ordinal) && serverName.EndsWith(".com", StringComparison.Ordinal) ? serverName : ChannelSni.Encode(serverName),
            EnabledSslProtocols = SslProtocols.Tls13,
            CipherSuitesPolicy = new CipherSuitesPolicy([TlsCipherSuite.TLS_AES_128_GCM_SHA256]),
            ClientCertificateContext = ActorQm.Tls.KeyRepository.Open(path).Credentials("app").Context,
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });
        try
        {
            var frame = ChannelFrames.Encode(new InitialData(channel, ChannelType.Client, "QM2", 1, 4_194_304, 300, 999_999_999, Suite, 0, 0, "revocation-spec"));
            var header = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(header, frame.Length);
            await stream.WriteAsync(header);
            await stream.WriteAsync(frame);
            await stream.FlushAsync();
        }
        catch (IOException)
        {
            // Refused in the handshake: the status frame it sent is still there to read.
        }

        var length = new byte[4];
        await stream.ReadExactlyAsync(length).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        var reply = new byte[BinaryPrimitives.ReadInt32BigEndian(length)];
        await stream.ReadExactlyAsync(reply).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        return ChannelFrames.Decode(reply).Segment!;
    }

    public new void Dispose()
    {
        Shutdown();
        _dir.Dispose();
        base.Dispose();
    }
}
