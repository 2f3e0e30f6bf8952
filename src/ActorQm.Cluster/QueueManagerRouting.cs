using System.Net;
using ActorQm.Configuration;
using ActorQm.Routing;
using Akka.Actor;
using Akka.Configuration;

namespace ActorQm.Cluster;

/// <summary>
/// Listeners on every node for sharded queue managers wherever they run
/// (<c>actorqm.cluster.routing</c>): a caller may connect to any node, which accepts the peer
/// and hands the connection to the queue manager through its shard region.
/// </summary>
public static class QueueManagerRouting
{
    public sealed record Settings(IReadOnlyList<RoutedConnection.ListenerSettings> Listeners)
    {
        public static Settings Create(ActorQmSettings settings, Config config)
        {
            var section = config.GetConfig("actorqm.cluster.routing");
            if (section is null)
            {
                return new Settings([]);
            }

            var refresh = Positive(section, "security-refresh", TimeSpan.FromSeconds(10));
            var attach = Positive(section, "attach-timeout", TimeSpan.FromSeconds(30));
            var listeners = new List<RoutedConnection.ListenerSettings>();
            var declared = section.GetConfig("listeners");
            foreach (var name in declared?.Root.GetObject().Items.Keys.ToList() ?? [])
            {
                var entry = declared!.GetConfig(name);
                var qmgr = entry.GetString("queue-manager", string.Empty);
                var queueManager = settings.QueueManagers.FirstOrDefault(q => q.Name == qmgr)
                    ?? throw new ConfigurationException($"actorqm.cluster.routing.listeners.{name}: queue-manager '{qmgr}' is not one of actorqm.queue-managers.");
                var text = entry.GetString("address", "0.0.0.0");
                var address = IPAddress.TryParse(text, out var parsed) ? parsed
                    : throw new ConfigurationException($"actorqm.cluster.routing.listeners.{name}: address '{text}' is not an IP address.");
                var port = entry.GetInt("port", -1);
                if (port is < 0 or > 65535)
                {
                    throw new ConfigurationException($"actorqm.cluster.routing.listeners.{name}: port must be 0-65535.");
                }

                listeners.Add(new RoutedConnection.ListenerSettings(queueManager, new IPEndPoint(address, port), entry.GetInt("backlog", 128), refresh, attach));
            }

            return new Settings(listeners);
        }

        private static TimeSpan Positive(Config section, string key, TimeSpan fallback)
        {
            var value = section.GetTimeSpan(key, fallback);
            return value > TimeSpan.Zero ? value : throw new ConfigurationException($"actorqm.cluster.routing.{key} must be positive.");
        }
    }

    /// <summary>Starts this node's routed listeners; <paramref name="region"/> is the queue managers' shard region.</summary>
    public static void Start(ActorSystem system, IActorRef region, Settings settings)
    {
        ClusterMessageSerializer.EnsureConfigured(system);
        var i = 0;
        foreach (var listener in settings.Listeners)
        {
            var qmgr = listener.QueueManager.Name;
            system.ActorOf(RoutedConnection.ListenerProps(listener, (message, sender) => region.Tell(new QueueManagerSharding.Envelope(qmgr, message), sender)),
                $"actorqm-routed-{++i}-{Uri.EscapeDataString(qmgr)}");
        }
    }
}
