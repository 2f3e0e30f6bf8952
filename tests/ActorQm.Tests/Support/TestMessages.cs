using ActorQm.Configuration;
using ActorQm.Messages;
using Akka.Configuration;

namespace ActorQm.Tests.Support;

internal static class TestMessages
{
    public static MqMessage Text(string text, Persistence persistence = Persistence.NotPersistent, int priority = -1, MqId? correlId = null, MqId? msgId = null, int expiry = -1) =>
        new(new MessageDescriptor
        {
            Persistence = persistence,
            Priority = priority,
            CorrelId = correlId ?? MqId.None,
            MsgId = msgId ?? MqId.None,
            Expiry = expiry,
            Format = MessageFormats.String,
        }, System.Text.Encoding.UTF8.GetBytes(text));

    public static string Text(MqMessage message) => System.Text.Encoding.UTF8.GetString(message.Payload.Span);

    public static QueueManagerSettings Settings(string name, string directory, string extra = "") =>
        ActorQmSettings.ForQueueManager(name, ConfigurationFactory.ParseString($"store.path = \"{System.IO.Path.Combine(directory, name + ".db")}\"\nexpiry-interval = 100ms\n{extra}"));

    /// <summary>Gets every message of a queue until MQRC 2033; their texts, in order.</summary>
    public static async Task<List<string>> DrainAsync(Akka.Actor.IActorRef qm, string queue)
    {
        var connection = new ActorQm.QueueManagers.QueueManagerConnection(qm, "spec");
        var got = new List<string>();
        try
        {
            while (true)
            {
                got.Add(Text(await connection.GetAsync(queue)));
            }
        }
        catch (MqException e) when (e.Reason == MqReason.NoMsgAvailable)
        {
            return got;
        }
    }

    /// <summary>Gets <paramref name="count"/> messages, each waited for up to <paramref name="wait"/>; their texts, in order.</summary>
    public static async Task<List<string>> ReceiveAsync(Akka.Actor.IActorRef qm, string queue, int count, TimeSpan wait)
    {
        var connection = new ActorQm.QueueManagers.QueueManagerConnection(qm, "spec");
        var got = new List<string>();
        while (got.Count < count)
        {
            got.Add(Text(await connection.GetAsync(queue, new ActorQm.Queues.GetOptions { Wait = wait })));
        }

        return got;
    }

    public const string Quiet = "akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING";
}
