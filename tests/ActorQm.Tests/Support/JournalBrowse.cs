using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.QueueManagers;
using ActorQm.Queues;
using Akka.Actor;

namespace ActorQm.Tests.Support;

/// <summary>Starts a queue manager from its journal after the processes that ran it have stopped, and browses a queue.</summary>
internal static class JournalBrowse
{
    public static async Task<List<MqMessage>> AllAsync(ActorSystem system, QueueManagerSettings settings, string queue)
    {
        var qm = await QueueManagerBootstrap.StartAsync(system, settings);
        var input = await new QueueManagerConnection(qm.Actor).OpenAsync(queue, Mqi.QueueManagerApi.OpenPurpose.Input);
        var messages = new List<MqMessage>();
        var cursor = BrowseCursor.Start;
        while (true)
        {
            try
            {
                var got = await input.GetAsync(new GetOptions { BrowseAfter = cursor });
                messages.Add(got.Message);
                cursor = got.Cursor;
            }
            catch (MqException e) when (e.Reason == MqReason.NoMsgAvailable)
            {
                await QueueManagerBootstrap.StopAsync(qm.Actor);
                return messages;
            }
        }
    }
}
