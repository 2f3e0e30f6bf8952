using ActorQm.Messages;
using ActorQm.Objects;
using ActorQm.QueueManagers;
using ActorQm.Tests.Support;

namespace ActorQm.Tests.QueueManagers;

public sealed class NameResolverSpec
{
    private readonly ObjectCatalog _catalog = Objects();

    private static ObjectCatalog Objects(string extra = "")
    {
        var objects = new TestCatalog();
        objects.Define(extra);
        objects.Define("""
            DEFINE QLOCAL(LOCAL.Q) DEFPSIST(NO)
            DEFINE QALIAS(ALIAS.Q) TARGET(LOCAL.Q) DEFPSIST(YES)
            DEFINE QALIAS(ALIAS.REMOTE) TARGET(REMOTE.Q)
            DEFINE QALIAS(ALIAS.ALIAS) TARGET(ALIAS.Q)
            DEFINE QALIAS(ALIAS.MISSING) TARGET(NOWHERE)
            DEFINE QLOCAL(QM2) USAGE(XMITQ)
            DEFINE QLOCAL(XQ.SPECIAL) USAGE(XMITQ)
            DEFINE QLOCAL(NOT.XMIT)
            DEFINE QREMOTE(REMOTE.Q) RNAME(APP.IN) RQMNAME(QM2) DEFPRTY(7)
            DEFINE QREMOTE(REMOTE.VIA) RNAME(APP.IN) RQMNAME(QM3) XMITQ(XQ.SPECIAL)
            DEFINE QREMOTE(REMOTE.BADXQ) RNAME(APP.IN) RQMNAME(QM3) XMITQ(NOT.XMIT)
            DEFINE QREMOTE(REMOTE.SELF) RNAME(LOCAL.Q) RQMNAME(QM1)
            DEFINE QREMOTE(YOURQM) RNAME(' ') RQMNAME(QM2)
            DEFINE QREMOTE(BACKHOME) RNAME(' ') RQMNAME(QM1)
            DEFINE QREMOTE(VIA.SPECIAL) RNAME(' ') RQMNAME(QM9) XMITQ(XQ.SPECIAL)
            """);
        return objects.Catalog;
    }

    private Resolution Resolve(string queue, string? qmgr = null)
    {
        var (resolution, reason, detail) = NameResolver.ResolveForPut(_catalog, queue, qmgr);
        Assert.True(resolution is not null, $"{reason}: {detail}");
        return resolution!;
    }

    private MqReason Fails(string queue, string? qmgr = null) => NameResolver.ResolveForPut(_catalog, queue, qmgr).Reason;

    [Fact]
    public void NameResolver_must_resolve_local_queues_and_aliases_with_the_aliases_defaults()
    {
        Assert.Equal("LOCAL.Q", Resolve("LOCAL.Q").LocalQueue.Name);
        var viaAlias = Resolve("ALIAS.Q");
        Assert.Equal("LOCAL.Q", viaAlias.LocalQueue.Name);
        Assert.Equal("ALIAS.Q", viaAlias.FirstDefinition.Name);
        Assert.Null(viaAlias.RemoteQName);
    }

    [Fact]
    public void NameResolver_must_send_a_remote_queue_to_the_transmission_queue_named_like_its_queue_manager()
    {
        var r = Resolve("REMOTE.Q");

        Assert.Equal(("QM2", "APP.IN", "QM2"), (r.LocalQueue.Name, r.RemoteQName, r.RemoteQMgrName));
        Assert.Equal("REMOTE.Q", r.FirstDefinition.Name);
        Assert.Equal("QM2", Resolve("ALIAS.REMOTE").LocalQueue.Name);
    }

    [Fact]
    public void NameResolver_must_use_an_explicit_xmitq_and_check_its_usage()
    {
        Assert.Equal("XQ.SPECIAL", Resolve("REMOTE.VIA").LocalQueue.Name);
        Assert.Equal(MqReason.XmitQUsageError, Fails("REMOTE.BADXQ"));
    }

    [Fact]
    public void NameResolver_must_resolve_a_remote_definition_pointing_home_to_the_local_queue()
    {
        var r = Resolve("REMOTE.SELF");

        Assert.Equal("LOCAL.Q", r.LocalQueue.Name);
        Assert.Null(r.RemoteQName);
    }

    [Fact]
    public void NameResolver_must_apply_queue_manager_aliases()
    {
        var renamed = Resolve("APP.IN", "YOURQM");
        var home = Resolve("LOCAL.Q", "BACKHOME");
        var special = Resolve("APP.IN", "VIA.SPECIAL");

        Assert.Equal(("QM2", "APP.IN", "QM2"), (renamed.LocalQueue.Name, renamed.RemoteQName, renamed.RemoteQMgrName));
        Assert.Equal("LOCAL.Q", home.LocalQueue.Name);
        Assert.Null(home.RemoteQName);
        Assert.Equal(("XQ.SPECIAL", "QM9"), (special.LocalQueue.Name, special.RemoteQMgrName));
    }

    [Fact]
    public void NameResolver_must_use_DEFXMITQ_only_when_nothing_else_leads_to_the_queue_manager()
    {
        Assert.Equal(MqReason.UnknownRemoteQMgr, Fails("APP.IN", "QM5"));

        _catalog.Apply(new ObjectDefined(_catalog.QMgr with { Attributes = _catalog.QMgr.Attributes.SetItem("DEFXMITQ", "XQ.SPECIAL") }, _catalog.QMgr));

        var r = Resolve("APP.IN", "QM5");
        Assert.Equal(("XQ.SPECIAL", "APP.IN", "QM5"), (r.LocalQueue.Name, r.RemoteQName, r.RemoteQMgrName));
        Assert.Equal("QM2", Resolve("APP.IN", "QM2").LocalQueue.Name);
    }

    [Fact]
    public void NameResolver_must_name_the_reason_when_resolution_fails()
    {
        Assert.Equal(MqReason.UnknownObjectName, Fails("NO.SUCH.Q"));
        Assert.Equal(MqReason.UnknownAliasBaseQ, Fails("ALIAS.MISSING"));
        Assert.Equal(MqReason.AliasBaseQTypeError, Fails("ALIAS.ALIAS"));
        Assert.Equal(MqReason.UnknownObjectName, Fails("YOURQM"));
    }

    [Fact]
    public void NameResolver_must_only_open_local_queues_for_input()
    {
        Assert.Equal("LOCAL.Q", NameResolver.ResolveForGet(_catalog, "ALIAS.Q").Queue!.Name);
        Assert.Equal(MqReason.OptionNotValidForType, NameResolver.ResolveForGet(_catalog, "REMOTE.Q").Reason);
        Assert.Equal(MqReason.AliasBaseQTypeError, NameResolver.ResolveForGet(_catalog, "ALIAS.REMOTE").Reason);
        Assert.Equal(MqReason.UnknownObjectName, NameResolver.ResolveForGet(_catalog, "NOPE").Reason);
    }

    [Fact]
    public void NameResolver_must_send_a_queue_defined_only_in_a_cluster_to_the_member_the_cluster_chooses()
    {
        var cluster = new Routes();

        var first = Resolve("APP.CQ", cluster);
        var second = Resolve("APP.CQ", cluster);

        Assert.Equal(("SYSTEM.CLUSTER.TRANSMIT.C1.QMB", "APP.CQ", "QMB"), (first.LocalQueue.Name, first.RemoteQName, first.RemoteQMgrName));
        Assert.Equal(("SYSTEM.CLUSTER.TRANSMIT.C1.QMC", "QMC"), (second.LocalQueue.Name, second.RemoteQMgrName));
    }

    [Fact]
    public void NameResolver_must_prefer_a_local_definition_to_a_cluster_queue_of_the_same_name()
    {
        var cluster = new Routes();

        Assert.Equal("LOCAL.Q", Resolve("LOCAL.Q", cluster).LocalQueue.Name);
        Assert.Equal("QM2", Resolve("APP.IN", cluster, "QM2").LocalQueue.Name);
        Assert.Equal(0, cluster.QueueAsked);
    }

    [Fact]
    public void NameResolver_must_reach_a_queue_manager_known_only_in_a_cluster_through_its_cluster_channel()
    {
        var resolution = Resolve("ANY.Q", new Routes(), "QMB");

        Assert.Equal(("SYSTEM.CLUSTER.TRANSMIT.C1.QMB", "ANY.Q", "QMB"), (resolution.LocalQueue.Name, resolution.RemoteQName, resolution.RemoteQMgrName));
    }

    private Resolution Resolve(string queue, IClusterRoutes cluster, string? qmgr = null)
    {
        var catalog = Objects("""
            DEFINE QLOCAL('SYSTEM.CLUSTER.TRANSMIT.C1.QMB') USAGE(XMITQ)
            DEFINE QLOCAL('SYSTEM.CLUSTER.TRANSMIT.C1.QMC') USAGE(XMITQ)
            """);
        var (resolution, reason, detail) = NameResolver.ResolveForPut(catalog, queue, qmgr, cluster);
        Assert.True(resolution is not null, $"{reason}: {detail}");
        return resolution!;
    }

    /// <summary>A cluster in which QMB and QMC host APP.CQ, chosen in turn.</summary>
    private sealed class Routes : IClusterRoutes
    {
        private int _turn;

        public int QueueAsked { get; private set; }

        public (string XmitQ, string QMgr)? ForQueue(string queue)
        {
            QueueAsked++;
            var qmgr = _turn++ % 2 == 0 ? "QMB" : "QMC";
            return queue == "APP.CQ" ? ("SYSTEM.CLUSTER.TRANSMIT.C1." + qmgr, qmgr) : null;
        }

        public (string XmitQ, string QMgr)? ForQMgr(string qmgr) =>
            qmgr is "QMB" or "QMC" ? ("SYSTEM.CLUSTER.TRANSMIT.C1." + qmgr, qmgr) : null;
    }
}
