namespace ActorQm.Tests.Support;

/// <summary>The configuration <see cref="ChaosCluster"/> writes: each queue manager's MQSC, each node's HOCON, and which process owns a port.</summary>
internal sealed partial class ChaosCluster
{
    /// <summary>Whether process <paramref name="pid"/> has a socket bound to loopback port <paramref name="port"/> (from /proc).</summary>
    private static bool OwnsPort(int pid, int port)
    {
        var hex = ":" + port.ToString("X4", System.Globalization.CultureInfo.InvariantCulture) + " ";
        var inodes = new HashSet<string>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if ((fields[1] + " ").EndsWith(hex, StringComparison.Ordinal))
                {
                    inodes.Add($"socket:[{fields[9]}]");
                }
            }
        }

        try
        {
            return inodes.Count > 0 && Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Any(fd => new FileInfo(fd).LinkTarget is { } target && inodes.Contains(target));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private string Mqsc(string qmgr)
    {
        var key = QueueManagerPair.KeyRepository(_dir, qmgr.ToLowerInvariant() + "key", "ibmwebspheremq" + qmgr.ToLowerInvariant(),
            TestPki.Leaf(TestPki.Shared.Ca, $"CN={qmgr},OU=MQ,O=Example").WithKey());
        var conname = string.Join(",", Conname(qmgr).Select(a => $"{a.Host}({a.Port})"));
        // HBINT(2): a cluster channel through a node that died is given up within 4 s, not MQ's 300.
        return $"""
            ALTER QMGR SSLKEYR('{key}')
            DEFINE CHANNEL('{Cluster}.{qmgr}') CHLTYPE(CLUSRCVR) CLUSTER('{Cluster}') CONNAME('{conname}') SSLCIPH(TLS_AES_128_GCM_SHA256) SSLPEER('OU=MQ,O=Example') HBINT(2) SHORTRTY(100000) SHORTTMR(1)
            DEFINE CHANNEL('{Svrconn}') CHLTYPE(SVRCONN) SSLCIPH(ANY_TLS12_OR_HIGHER) SSLCAUTH(REQUIRED) SSLPEER('CN=APP1,O=Example') MCAUSER('app')
            SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('app') AUTHADD(CONNECT,INQ)
            SET AUTHREC PROFILE('APP.**') OBJTYPE(QUEUE) PRINCIPAL('app') AUTHADD(PUT,GET,BROWSE,INQ)
            SET AUTHREC PROFILE('SYSTEM.CLUSTER.TRANSMIT.**') OBJTYPE(QUEUE) PRINCIPAL('app') AUTHADD(PUT)
            {(qmgr == "QMA" ? string.Empty : $"DEFINE QLOCAL('{Queue}') CLUSTER('{Cluster}') MAXDEPTH(1000000)")}
            """;
    }

    private string NodeConfig(int node, int remoting, string seeds, string journal)
    {
        var key = QueueManagerPair.KeyRepository(_dir, $"node{node + 1}key", "node", TestPki.Leaf(TestPki.Shared.Ca, $"CN=NODE{node + 1},O=Example").WithKey());
        var listeners = string.Join("\n", QueueManagers.Select(q => $"{q}-ANY {{ queue-manager = {q}, address = \"127.0.0.1\", port = {_listeners[$"{q}/{node}"]} }}"));
        var queueManagers = string.Join("\n", QueueManagers.Select(q => $"{q} {{ mqsc-file = \"{q.ToLowerInvariant()}.mqsc\" }}"));
        return $$"""
            akka {
              remote.use-passive-connections = off
              remote.dot-netty.tcp { hostname = "127.0.0.1", port = {{remoting}}, public-hostname = "127.0.0.1", public-port = {{_proxies[node].Port}} }
              cluster {
                seed-nodes = [{{seeds}}]
                failure-detector { heartbeat-interval = 500ms, acceptable-heartbeat-pause = 3s }
                downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
                split-brain-resolver { active-strategy = keep-majority, stable-after = 3s }
              }
            }
            actorqm {
              cluster {
                enabled = on
                node-tls { key-repository = "{{key}}", label = node, peer-filter = "CN=NODE*,O=Example" }
                sharding { keep-alive-interval = 500ms, min-nodes = 3 }
                routing {
                  attach-timeout = 60s
                  listeners {
                    {{listeners}}
                  }
                }
              }
              queue-manager-defaults.store { engine = postgresql, connection-string = "{{journal}}", lock-wait = 60s }
              queue-managers {
                {{queueManagers}}
              }
            }
            """;
    }
}
