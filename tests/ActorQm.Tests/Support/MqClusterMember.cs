using ActorQm.QueueManagers;
using Akka.Actor;

namespace ActorQm.Tests.Support;

/// <summary>A queue manager in MQ cluster C1: its own certificate, a listener, a CLUSRCVR on it, and maybe the cluster queue APP.CQ.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class MqClusterMember
{
    /// <param name="sslPeer">The cluster's SSLPEER: what the member's CLUSRCVR demands, and the other members' auto-defined senders check.</param>
    public static async Task<IActorRef> StartAsync(ActorSystem system, TempDirectory dir, string name, bool hostsQueue, string sslPeer = "OU=MQ,O=Example")
    {
        var key = QueueManagerPair.KeyRepository(dir, name.ToLowerInvariant() + "key", "ibmwebspheremq" + name.ToLowerInvariant(),
            TestPki.Leaf(TestPki.Shared.Ca, $"CN={name},OU=MQ,O=Example").WithKey());
        var qm = await QueueManagerPair.Start(system, dir, name, $"""
            ALTER QMGR SSLKEYR('{key}')
            DEFINE LISTENER('L1') PORT(0) IPADDR('127.0.0.1') CONTROL(QMGR)
            {(hostsQueue ? "DEFINE QLOCAL('APP.CQ') CLUSTER('C1') MAXDEPTH(100000)" : string.Empty)}
            """);
        var port = await QueueManagerPair.ListenerPort(qm.Actor);
        var joined = await new QueueManagerConnection(qm.Actor, "spec").RunMqscAsync(
            $"DEFINE CHANNEL('C1.{name}') CHLTYPE(CLUSRCVR) CLUSTER('C1') CONNAME('127.0.0.1({port})') SSLCIPH(TLS_AES_128_GCM_SHA256) SSLPEER('{sslPeer}') SHORTRTY(100) SHORTTMR(1)");
        if (joined.Failed > 0)
        {
            throw new InvalidOperationException(string.Join("\n", joined.Lines));
        }

        return qm.Actor;
    }
}
