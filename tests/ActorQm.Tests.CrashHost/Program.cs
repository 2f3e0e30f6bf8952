using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.QueueManagers;
using ActorQm.Queues;
using ActorQm.Tests.CrashHost;
using Akka.Actor;
using Akka.Configuration;

// A queue manager process for crash tests: it reports each acknowledged put and get on stdout
// ("PUT i", "GOT i") and runs until the test kills it with SIGKILL.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: CrashHost <journal-path> put <count> | churn <workers>");
    return 2;
}

var settings = ActorQmSettings.ForQueueManager(CrashPayload.QMgr, ConfigurationFactory.ParseString($"store.path = \"{args[0]}\""));
var system = ActorSystem.Create("crashhost", "akka.loglevel = WARNING");
var qm = await QueueManagerBootstrap.StartAsync(system, settings);
var conn = new QueueManagerConnection(qm.Actor, "crashhost");
await conn.RunMqscAsync($"DEFINE QLOCAL('{CrashPayload.Queue}') MAXDEPTH(1000000) REPLACE");
var output = await conn.OpenAsync(CrashPayload.Queue, ActorQm.Mqi.QueueManagerApi.OpenPurpose.Output);
var input = await conn.OpenAsync(CrashPayload.Queue, ActorQm.Mqi.QueueManagerApi.OpenPurpose.Input);
Console.WriteLine("READY");

switch (args[1])
{
    case "put":
        var count = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
        for (var start = 0; start < count; start += 256)
        {
            var window = Enumerable.Range(start, Math.Min(256, count - start)).ToArray();
            await Task.WhenAll(window.Select(i => output.PutAsync(CrashPayload.Message(i))));
            foreach (var i in window)
            {
                Console.WriteLine($"PUT {i}");
            }
        }

        Console.WriteLine("DONE");
        break;
    case "churn":
        var workers = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
        {
            while (true)
            {
                var i = Interlocked.Increment(ref next);
                await output.PutAsync(CrashPayload.Message(i));
                Console.WriteLine($"PUT {i}");
                if (i % 2 == 1)
                {
                    var got = await input.GetAsync(new GetOptions { Wait = TimeSpan.FromSeconds(5) });
                    Console.WriteLine($"GOT {CrashPayload.IndexOf(got.Message)}");
                }
            }
        }));
        break;
}

await Task.Delay(Timeout.Infinite);
return 0;
