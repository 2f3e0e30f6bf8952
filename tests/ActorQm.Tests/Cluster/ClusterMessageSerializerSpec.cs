using System.Net.Security;
using System.Security.Authentication;
using ActorQm.Cluster;
using ActorQm.QueueManagers;
using ActorQm.Tests.Support;
using Akka.Actor;
using Akka.Serialization;
using Xunit.Abstractions;
using static ActorQm.Routing.RoutedConnection;

namespace ActorQm.Tests.Cluster;

/// <summary>What crosses nodes keeps every field: through the serializer Akka picks for it, as remoting would.</summary>
public sealed class ClusterMessageSerializerSpec : Akka.TestKit.Xunit2.TestKit
{
    public ClusterMessageSerializerSpec(ITestOutputHelper output)
        : base(Akka.Configuration.ConfigurationFactory.ParseString("akka.actor.provider = remote\nakka.remote.dot-netty.tcp { hostname = \"127.0.0.1\", port = 0 }\n" + TestMessages.Quiet)
            .WithFallback(ClusterMessageSerializer.Configuration), output: output)
    {
    }

    private T RoundTrip<T>(T message)
        where T : notnull
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<ClusterMessageSerializer>(serializer);
        var bytes = serializer.ToBinary(message);
        return (T)Sys.Serialization.Deserialize(bytes, serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, message));
    }

    [Fact]
    public void ClusterMessageSerializer_must_keep_a_routed_connections_session_and_router()
    {
        var router = CreateTestProbe("router");
        var peer = TestPki.Shared.Qm1;
        var session = new Session("QMR-1414-7", peer.RawData, [peer.RawData, TestPki.Shared.Ca.Certificate.RawData], SslProtocols.Tls13,
            TlsCipherSuite.TLS_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256", "app", TimeSpan.FromMilliseconds(12.5))
        {
            RevocationChannel = "PARTNER.SVRCONN",
        };

        var back = RoundTrip(new Route("QMR", "127.0.0.1", 40123, session, router.Ref));

        Assert.Equal(("QMR", "127.0.0.1", 40123), (back.QMgrName, back.RemoteAddress, back.RemotePort));
        Assert.Equal(router.Ref, back.Router);
        var handshake = back.Session.ToPeerSession();
        Assert.Equal(peer.Thumbprint, handshake.Peer!.Certificate.Thumbprint);
        Assert.Equal([peer.Thumbprint, TestPki.Shared.Ca.Certificate.Thumbprint], handshake.Chain.Select(c => c.Thumbprint));
        Assert.Equal((SslProtocols.Tls13, TlsCipherSuite.TLS_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256", "app", TimeSpan.FromMilliseconds(12.5)),
            (handshake.Protocol, handshake.Suite, handshake.CipherSpec, handshake.McaUser, handshake.Elapsed));
        // The policy the accepting node's handshake applied: the queue manager checks it against the channel (docs/tls.md).
        Assert.Equal("PARTNER.SVRCONN", handshake.RevocationChannel);
    }

    [Fact]
    public void ClusterMessageSerializer_must_keep_a_session_without_a_peer_certificate()
    {
        var session = new Session("c", null, [], SslProtocols.Tls12, TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ECDHE_ECDSA_AES_128_GCM_SHA256", null, TimeSpan.Zero);

        var back = RoundTrip(new Route("QMR", "::1", 1, session, ActorRefs.Nobody)).Session.ToPeerSession();

        Assert.Null(back.Peer);
        Assert.Null(back.McaUser);
        Assert.Null(back.RevocationChannel);
        Assert.Empty(back.Chain);
    }

    [Fact]
    public void ClusterMessageSerializer_must_carry_frames_and_the_connection_protocol_unchanged()
    {
        var frame = Enumerable.Range(0, 1024).Select(i => (byte)i).ToArray();

        Assert.Equal(frame, RoundTrip(InboundFrame.Of(frame)).Frame.ToArray());
        var outbound = RoundTrip(new OutboundFrame(frame.AsMemory(3, 500), Ack: true));
        Assert.Equal(frame.AsSpan(3, 500).ToArray(), outbound.Frame.ToArray());
        Assert.True(outbound.Ack);
        Assert.False(RoundTrip(new OutboundFrame(ReadOnlyMemory<byte>.Empty, Ack: false)).Ack);
        Assert.Equal(7, RoundTrip(new FramesWritten(7)).Count);
        Assert.Equal(64, RoundTrip(new ResumeReading(64)).Frames);
        Assert.Same(CloseConnection.Instance, RoundTrip(CloseConnection.Instance));
        Assert.Same(DescribeSecurity.Instance, RoundTrip(DescribeSecurity.Instance));
        Assert.Equal(new ConnectionEnded("AMQ9208E", "gone"), RoundTrip(new ConnectionEnded("AMQ9208E", "gone")));
        Assert.Equal(new ConnectionEnded(null, "closed"), RoundTrip(new ConnectionEnded(null, "closed")));
        var described = RoundTrip(new SecurityDescribed("QMR", ["ALTER QMGR SSLKEYR('/k')", "DEFINE NAMELIST('N') NAMES('A') REPLACE"], "g7"));
        Assert.Equal(("QMR", "g7"), (described.QMgrName, described.Generation));
        Assert.Equal(["ALTER QMGR SSLKEYR('/k')", "DEFINE NAMELIST('N') NAMES('A') REPLACE"], described.Definitions);
    }

    [Fact]
    public void ClusterMessageSerializer_must_write_a_batch_from_its_pooled_buffer_and_hand_the_other_node_an_array_of_its_own()
    {
        byte[][] frames = [[1, 2, 3], [], Enumerable.Range(0, 1024).Select(i => (byte)i).ToArray()];
        var pooled = CountingBuffer.Frames(frames);

        var batch = RoundTrip(new OutboundFrames(pooled, pooled.Length, Ack: true));

        Assert.Equal(frames, CountingBuffer.Bodies(batch.Frames));
        Assert.True(batch.Ack);
        // Akka.Remote serializes after the send returned: the sending node's buffer is read, never returned (the collector's).
        Assert.Equal(0, pooled.Returns);
        // The other node's batch owns an array: the router's return leaves it readable, and no pool is involved.
        Assert.NotEqual(typeof(System.Buffers.MemoryPool<byte>).Assembly, batch.Buffer.GetType().Assembly);
        batch.Buffer.Dispose();
        Assert.Equal(frames, CountingBuffer.Bodies(batch.Frames));
        var empty = CountingBuffer.Frames();
        var none = RoundTrip(new OutboundFrames(empty, empty.Length, Ack: false));
        Assert.Equal((0, false), (none.Length, none.Ack));
    }

    [Fact]
    public void ClusterMessageSerializer_must_keep_an_envelopes_payload_with_the_payloads_own_serializer()
    {
        var back = RoundTrip(new QueueManagerSharding.Envelope("QMR", new Mqi.QueueManagerApi.RunMqsc("DISPLAY QMGR")));
        Assert.Equal("QMR", back.QMgrName);
        Assert.Equal("DISPLAY QMGR", Assert.IsType<Mqi.QueueManagerApi.RunMqsc>(back.Message).Script);

        var routed = RoundTrip(new QueueManagerSharding.Envelope("QMR", new FramesWritten(3)));
        Assert.Equal(new FramesWritten(3), routed.Message);
    }

    [Fact]
    public void ClusterMessageSerializer_must_refuse_a_manifest_it_does_not_know()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(InboundFrame));

        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary([1, 2, 3], "Z"));
    }

    /// <summary>A batch from another node is written to the peer as it comes: one that is empty or not whole frames is refused.</summary>
    [Fact]
    public void ClusterMessageSerializer_must_refuse_a_batch_of_frames_that_are_not_whole()
    {
        var serializer = (ClusterMessageSerializer)Sys.Serialization.FindSerializerForType(typeof(OutboundFrames));
        byte[][] hostile =
        [
            [],
            [1, 0, 0],
            [1, 0, 0, 0, 9, 1, 2, 3],
            [1, 0xFF, 0xFF, 0xFF, 0xFF, 1],
            [1, 0, 0, 0, 1, 7, 0, 0],
        ];

        foreach (var bytes in hostile)
        {
            Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(bytes, "B"));
        }

        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary([], "O"));
        var whole = (OutboundFrames)serializer.FromBinary([1, 0, 0, 0, 1, 7, 0, 0, 0, 0], "B");
        Assert.True(whole.Ack);
        Assert.Equal(9, whole.Length);
    }
}
