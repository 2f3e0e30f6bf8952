using System.Net.Security;
using System.Security.Authentication;
using ActorQm.Routing;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using static ActorQm.Routing.RoutedConnection;

namespace ActorQm.Cluster;

/// <summary>
/// Binary form of what ActorQm sends between nodes: routed connections (frames travel as their own
/// bytes, no re-encoding) and the sharding envelope, whose payload keeps the serializer Akka picks
/// for it. Registered on every node by <see cref="EnsureConfigured"/>; an unknown manifest is refused loudly.
/// </summary>
public sealed class ClusterMessageSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    private const string RouteManifest = "R";
    private const string DescribeManifest = "D";
    private const string DescribedManifest = "S";
    private const string AttachedManifest = "A";
    private const string InboundManifest = "I";
    private const string OutboundManifest = "O";
    private const string BatchManifest = "B";
    private const string WrittenManifest = "W";
    private const string ResumeManifest = "U";
    private const string CloseManifest = "C";
    private const string EndedManifest = "E";
    private const string EnvelopeManifest = "V";

    private static readonly Type[] Bound =
    [
        typeof(Route), typeof(DescribeSecurity), typeof(SecurityDescribed), typeof(Attached), typeof(InboundFrame), typeof(OutboundFrame), typeof(OutboundFrames),
        typeof(FramesWritten), typeof(ResumeReading), typeof(CloseConnection), typeof(ConnectionEnded), typeof(QueueManagerSharding.Envelope),
    ];

    public override int Identifier => 7141;

    /// <summary>
    /// The serializer and its bindings, with those of Akka's sharding and Distributed Data, for every node's actor system
    /// configuration (<c>actorqm start</c> adds it; an Akka.Hosting or hand-built system adds it with its other HOCON).
    /// Serializers are read when a system starts.
    /// </summary>
    public static Config Configuration { get; } = ConfigurationFactory.ParseString($$"""
        akka.actor {
          serializers.actorqm-cluster = "{{Qualified(typeof(ClusterMessageSerializer))}}"
          serialization-identifiers { "{{Qualified(typeof(ClusterMessageSerializer))}}" = 7141 }
          serialization-bindings {
            {{string.Join("\n    ", Bound.Select(t => $"\"{Qualified(t)}\" = actorqm-cluster"))}}
          }
        }
        """)
        // Sharding's and Distributed Data's own serializers too: their replicators pick the serializer of their envelopes when
        // they start, before those extensions add their defaults, and without the bindings that was the JSON fallback, which
        // failed on some envelopes after a node left and restarted the replicator (docs/reliability.md, "Cluster chaos").
        .WithFallback(Akka.Cluster.Sharding.ClusterSharding.DefaultConfig())
        .WithFallback(Akka.DistributedData.DistributedData.DefaultConfig());

    /// <summary>Refuses a node whose actor system lacks <see cref="Configuration"/>: its peers could not read what it sends.</summary>
    public static void EnsureConfigured(ActorSystem system)
    {
        if (system.Serialization.FindSerializerForType(typeof(Route)) is not ClusterMessageSerializer)
        {
            throw new ConfigurationException("ActorQm cluster messages have no serializer on this node: add ClusterMessageSerializer.Configuration to its actor system configuration.");
        }
    }

    // The ack flag comes first: a message without it is refused, not read past its end.
    private static int Flagged(byte[] bytes, string manifest) =>
        bytes.Length >= 1 ? 1 : throw new System.Runtime.Serialization.SerializationException($"ClusterMessageSerializer: an empty '{manifest}' message");

    private static bool WholeFrames(ReadOnlySpan<byte> frames)
    {
        while (frames.Length > 0)
        {
            if (frames.Length < Protocol.FrameStream.HeaderBytes)
            {
                return false;
            }

            var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(frames);
            if (length < 0 || length > frames.Length - Protocol.FrameStream.HeaderBytes)
            {
                return false;
            }

            frames = frames[(Protocol.FrameStream.HeaderBytes + length)..];
        }

        return true;
    }

    private static string Qualified(Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";

    public override string Manifest(object o) => o switch
    {
        Route => RouteManifest,
        DescribeSecurity => DescribeManifest,
        SecurityDescribed => DescribedManifest,
        Attached => AttachedManifest,
        InboundFrame => InboundManifest,
        OutboundFrame => OutboundManifest,
        OutboundFrames => BatchManifest,
        FramesWritten => WrittenManifest,
        ResumeReading => ResumeManifest,
        CloseConnection => CloseManifest,
        ConnectionEnded => EndedManifest,
        QueueManagerSharding.Envelope => EnvelopeManifest,
        _ => throw new ArgumentException($"ClusterMessageSerializer cannot serialize {o.GetType()}", nameof(o)),
    };

    public override byte[] ToBinary(object obj)
    {
        switch (obj)
        {
            case InboundFrame f:
                // The one copy of the remote hop: the frame leaves its pooled buffer for the wire.
                return f.Frame.ToArray();
            case OutboundFrame f:
                return WithAck(f.Frame.Span, f.Ack);
            case OutboundFrames b:
                // A piece in an array of its own: the routed transport cut it and returned the pooled buffer (OutboundFrames).
                return WithAck(b.Frames.Span, b.Ack);
            case DescribeSecurity or CloseConnection:
                return [];
        }

        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer))
        {
            switch (obj)
            {
                case Route r:
                    w.Write(r.QMgrName);
                    w.Write(r.RemoteAddress);
                    w.Write(r.RemotePort);
                    WriteSession(w, r.Session);
                    w.Write(Akka.Serialization.Serialization.SerializedActorPath(r.Router));
                    break;
                case SecurityDescribed d:
                    w.Write(d.QMgrName);
                    w.Write(d.Generation);
                    w.Write(d.Definitions.Count);
                    foreach (var definition in d.Definitions)
                    {
                        w.Write(definition);
                    }

                    break;
                case Attached a:
                    w.Write(Akka.Serialization.Serialization.SerializedActorPath(a.Transport));
                    break;
                case FramesWritten written:
                    w.Write(written.Count);
                    break;
                case ResumeReading resume:
                    w.Write(resume.Frames);
                    break;
                case ConnectionEnded e:
                    WriteNullable(w, e.AmqCode);
                    w.Write(e.Reason);
                    break;
                case QueueManagerSharding.Envelope e:
                    var serializer = system.Serialization.FindSerializerFor(e.Message);
                    var payload = serializer.ToBinary(e.Message);
                    w.Write(e.QMgrName);
                    w.Write(serializer.Identifier);
                    w.Write(Akka.Serialization.Serialization.ManifestFor(serializer, e.Message));
                    w.Write(payload.Length);
                    w.Write(payload);
                    break;
                default:
                    throw new ArgumentException($"ClusterMessageSerializer cannot serialize {obj.GetType()}", nameof(obj));
            }
        }

        return buffer.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        switch (manifest)
        {
            case InboundManifest:
                return InboundFrame.Of(bytes);
            case OutboundManifest:
                return new OutboundFrame(bytes.AsMemory(Flagged(bytes, manifest)), bytes[0] == 1);
            case BatchManifest:
                // Written to the peer as they are: only whole, well-formed frames, or another node could break the peer's framing.
                return WholeFrames(bytes.AsSpan(Flagged(bytes, manifest)))
                    ? OutboundFrames.Of(bytes.AsMemory(1), bytes[0] == 1)
                    : throw new System.Runtime.Serialization.SerializationException("ClusterMessageSerializer: a batch of frames that are not whole");
            case DescribeManifest:
                return DescribeSecurity.Instance;
            case CloseManifest:
                return CloseConnection.Instance;
        }

        using var r = new BinaryReader(new MemoryStream(bytes));
        switch (manifest)
        {
            case RouteManifest:
                return new Route(r.ReadString(), r.ReadString(), r.ReadInt32(), ReadSession(r), Resolve(r.ReadString()));
            case DescribedManifest:
                var (qmgr, generation) = (r.ReadString(), r.ReadString());
                var definitions = new string[r.ReadInt32()];
                for (var i = 0; i < definitions.Length; i++)
                {
                    definitions[i] = r.ReadString();
                }

                return new SecurityDescribed(qmgr, definitions, generation);
            case AttachedManifest:
                return new Attached(Resolve(r.ReadString()));
            case WrittenManifest:
                return new FramesWritten(r.ReadInt32());
            case ResumeManifest:
                return new ResumeReading(r.ReadInt32());
            case EndedManifest:
                return new ConnectionEnded(ReadNullable(r), r.ReadString());
            case EnvelopeManifest:
                var name = r.ReadString();
                var serializerId = r.ReadInt32();
                var payloadManifest = r.ReadString();
                var payload = r.ReadBytes(r.ReadInt32());
                return new QueueManagerSharding.Envelope(name, system.Serialization.Deserialize(payload, serializerId, payloadManifest));
            default:
                throw new System.Runtime.Serialization.SerializationException($"ClusterMessageSerializer: unknown manifest '{manifest}'");
        }
    }

    /// <summary>The ack flag, then the bytes: the one copy of an outbound frame's remote hop.</summary>
    private static byte[] WithAck(ReadOnlySpan<byte> frames, bool ack)
    {
        var bytes = new byte[frames.Length + 1];
        bytes[0] = ack ? (byte)1 : (byte)0;
        frames.CopyTo(bytes.AsSpan(1));
        return bytes;
    }

    private IActorRef Resolve(string path) => system.Provider.ResolveActorRef(path);

    private static void WriteSession(BinaryWriter w, Session s)
    {
        w.Write(s.ConnectionId);
        w.Write(s.PeerCertificate is not null);
        if (s.PeerCertificate is { } peer)
        {
            w.Write(peer.Length);
            w.Write(peer);
        }

        w.Write(s.Chain.Count);
        foreach (var certificate in s.Chain)
        {
            w.Write(certificate.Length);
            w.Write(certificate);
        }

        w.Write((int)s.Protocol);
        w.Write((int)s.Suite);
        w.Write(s.CipherSpec);
        WriteNullable(w, s.McaUser);
        w.Write(s.Elapsed.Ticks);
        WriteNullable(w, s.RevocationChannel);
    }

    private static Session ReadSession(BinaryReader r)
    {
        var id = r.ReadString();
        var peer = r.ReadBoolean() ? r.ReadBytes(r.ReadInt32()) : null;
        var chain = new byte[r.ReadInt32()][];
        for (var i = 0; i < chain.Length; i++)
        {
            chain[i] = r.ReadBytes(r.ReadInt32());
        }

        return new Session(id, peer, chain, (SslProtocols)r.ReadInt32(), (TlsCipherSuite)r.ReadInt32(), r.ReadString(), ReadNullable(r), TimeSpan.FromTicks(r.ReadInt64()))
        {
            RevocationChannel = ReadNullable(r),
        };
    }

    private static void WriteNullable(BinaryWriter w, string? value)
    {
        w.Write(value is not null);
        if (value is not null)
        {
            w.Write(value);
        }
    }

    private static string? ReadNullable(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;
}
