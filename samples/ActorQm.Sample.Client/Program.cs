using System.Text;
using ActorQm.Client;
using ActorQm.Messages;
using ActorQm.Protocol;

// Puts messages on a queue through a TLS server-connection channel and gets them back, in order.
// Usage: ActorQm.Sample.Client HOST PORT CHANNEL QMGR QUEUE KEY-REPOSITORY LABEL SSLPEER [COUNT]
if (args.Length < 8)
{
    Console.Error.WriteLine("usage: ActorQm.Sample.Client HOST PORT CHANNEL QMGR QUEUE KEY-REPOSITORY LABEL SSLPEER [COUNT]");
    return 20;
}

var count = args.Length > 8 ? int.Parse(args[8], System.Globalization.CultureInfo.InvariantCulture) : 10;
var options = new MqClientOptions
{
    Host = args[0],
    Port = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture),
    Channel = args[2],
    QueueManager = args[3],
    KeyRepository = args[5],
    CertificateLabel = args[6],
    SslPeer = args[7],
};

try
{
    await using var client = await MqClient.ConnectAsync(options);
    Console.WriteLine($"connected to {client.QueueManagerName} with {client.CipherSpec}; it proved to be '{client.Peer.Subject}'");
    var output = await client.OpenAsync(args[4], ClientOpenPurpose.Output);
    for (var n = 0; n < count; n++)
    {
        await output.PutAsync(new MqMessage(MessageDescriptor.Default, Encoding.UTF8.GetBytes($"message {n}")));
    }

    await output.CloseAsync();
    var input = await client.OpenAsync(args[4], ClientOpenPurpose.Input);
    for (var n = 0; n < count; n++)
    {
        var message = await input.GetAsync(new ClientGetOptions { Wait = TimeSpan.FromSeconds(10) });
        var text = Encoding.UTF8.GetString(message.Payload.Span);
        if (text != $"message {n}")
        {
            Console.Error.WriteLine($"expected 'message {n}', got '{text}'");
            return 1;
        }
    }

    await input.CloseAsync();
    Console.WriteLine($"put and got {count} messages in order");
    return 0;
}
catch (MqException e)
{
    Console.Error.WriteLine($"MQRC {(int)e.Reason}: {e.Message}");
    return 20;
}
