using ActorQm.Tls;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;

namespace ActorQm.Cluster;

/// <summary>Props and settings of <see cref="RevocationGossipActor"/>.</summary>
public static class RevocationGossip
{
    /// <summary>The replicated set of revoked certificates (issuer, serial, where it was learnt).</summary>
    public static readonly ORSetKey<string> Key = new("actorqm-revoked-certificates");

    /// <param name="WriteTimeout">How long a new revocation is pushed to every reachable node before gossip takes over.</param>
    public sealed record Settings(TimeSpan WriteTimeout)
    {
        public static readonly Settings Default = new(TimeSpan.FromSeconds(3));
    }

    /// <summary>One per node: shares this node's revocation list with the cluster's.</summary>
    public static Props Props(Settings? settings = null) => Akka.Actor.Props.Create(() => new RevocationGossipActor(settings ?? Settings.Default));

    private const char Separator = '\u001f';

    internal static string Encode(RevokedCertificate c) => string.Join(Separator, c.Issuer, c.Serial, c.Source);

    internal static RevokedCertificate? Decode(string element) =>
        element.Split(Separator) is [var issuer, var serial, var source] ? new RevokedCertificate(issuer, serial, source) : null;
}

/// <summary>
/// Beyond MQ, cluster-wide revocation: whatever one node learns revoked (REVOKE CERT there) is
/// written to a replicated set (Akka.DistributedData, pushed to every reachable node at once,
/// gossiped to the rest); every node adds what it receives to its own list, so its handshakes
/// refuse the certificate and its running connections that use it end.
/// </summary>
internal sealed class RevocationGossipActor : ReceiveActor
{
    private const string FromCluster = "cluster: ";
    private readonly RevocationGossip.Settings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef _replicator = DistributedData.Get(Context.System).Replicator;
    private readonly RevokedCertificates _local = RevokedCertificatesExtension.For(Context.System);
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);

    public RevocationGossipActor(RevocationGossip.Settings settings)
    {
        _settings = settings;
        Receive<RevokedCertificates.CertificateRevoked>(r => !r.Certificate.Source.StartsWith(FromCluster, StringComparison.Ordinal), r =>
        {
            var element = RevocationGossip.Encode(r.Certificate with { Source = $"{r.Certificate.Source} at {_cluster.SelfAddress}" });
            _replicator.Tell(Dsl.Update(RevocationGossip.Key, ORSet<string>.Empty, new WriteAll(_settings.WriteTimeout), set => set.Add(_cluster.SelfUniqueAddress, element)));
        });
        Receive<RevokedCertificates.CertificateRevoked>(_ => { });
        Receive<Changed>(changed =>
        {
            foreach (var element in changed.Get(RevocationGossip.Key).Elements)
            {
                if (RevocationGossip.Decode(element) is { } revoked && _local.Add(revoked with { Source = FromCluster + revoked.Source }))
                {
                    _log.Warning("AMQ9790W: certificate serial {0} of '{1}' revoked across the cluster ({2}).", revoked.Serial, revoked.Issuer, revoked.Source);
                }
            }
        });
        Receive<UpdateSuccess>(_ => { });
        // A node that could not be reached in time gets the revocation by gossip.
        Receive<UpdateTimeout>(t => _log.Info("revocation written to the reachable nodes; the others get it by gossip ({0})", t.Key));
    }

    protected override void PreStart()
    {
        _replicator.Tell(Dsl.Subscribe(RevocationGossip.Key, Self));
        Context.System.EventStream.Subscribe(Self, typeof(RevokedCertificates.CertificateRevoked));
        foreach (var known in _local.All.Where(c => !c.Source.StartsWith(FromCluster, StringComparison.Ordinal)))
        {
            Self.Tell(new RevokedCertificates.CertificateRevoked(known));
        }
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}
