using System.CommandLine;
using System.Diagnostics;
using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.QueueManagers;
using ActorQm.Queues;
using Akka.Actor;
using Akka.Configuration;
using static ActorQm.Cli.DemoMessages;

namespace ActorQm.Cli;

/// <summary>
/// <c>actorqm demo --local</c>: a single queue manager on embedded defaults in a temporary folder. Puts and gets
/// non-persistent and persistent messages, restarts the queue manager to show which survive,
/// routes through alias, remote and queue manager names, dead-letters a message, and exits 0
/// only if every message came back intact.
/// </summary>
internal static class LocalDemo
{
    private const string QMgr = "DEMO.QM";

    private const string Script = """
        * Objects of the demo queue manager
        DEFINE QLOCAL('DEMO.DLQ') DESCR('dead-letter queue')
        ALTER QMGR DEADQ('DEMO.DLQ')
        DEFINE QLOCAL('APP.IN') MAXDEPTH(1000000) DESCR('application input')
        DEFINE QALIAS('APP.ALIAS') TARGET('APP.IN')
        DEFINE QLOCAL('QM2') USAGE(XMITQ) MAXDEPTH(1000)
        DEFINE QREMOTE('APP.REMOTE') RNAME('APP.IN') RQMNAME('QM2')
        DEFINE QREMOTE('QM2.ALIAS') RNAME(' ') RQMNAME('QM2') XMITQ('QM2')
        DEFINE QLOCAL('TINY') MAXDEPTH(1)
        """;

    public static async Task<int> Run(int count, int size, bool keep)
    {
        var dir = Directory.CreateTempSubdirectory("actorqm-demo-");
        var results = new List<(string Phase, int Messages, double Seconds, bool Ok, string Note)>();
        string? restart = null;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "demo.mqsc"), Script);
            restart = $$"""
                # The demo's queue manager, its journal and start-up script (paths relative to this file).
                actorqm.queue-managers { "{{QMgr}}" { mqsc-file = "demo.mqsc", store.path = "{{QMgr}}.db" } }
                """;
            var config = ConfigurationFactory.ParseString(restart);
            var settings = ActorQmSettings.Create(config, dir.FullName).QueueManagers.Single();
            Console.WriteLine($"ActorQm demo: queue manager {QMgr}, journal {settings.Store.Describe()}, {count} messages of {size} bytes per phase");

            var system = CliConfig.CreateSystem(config, "WARNING");
            try
            {
                var qm = await QueueManagerBootstrap.StartAsync(system, settings);
                Console.WriteLine($"  start-up script: {qm.StartupOutput!.Commands} commands, {qm.StartupOutput.Failed} failed");
                var conn = new QueueManagerConnection(qm.Actor, "actorqm-demo");

                results.Add(await RoundTrip(conn, "non-persistent put+get", count, size, Persistence.NotPersistent));
                results.Add(await RoundTrip(conn, "persistent put+get", count, size, Persistence.Persistent));

                // Persistent messages survive a restart; non-persistent ones do not.
                var sw = Stopwatch.StartNew();
                var output = await conn.OpenAsync("APP.IN", Mqi.QueueManagerApi.OpenPurpose.Output);
                await Pipelined(count, i => output.PutAsync(Message(i, size, Persistence.Persistent)), "persistent put");
                await Pipelined(count / 10 + 1, i => output.PutAsync(Message(1_000_000 + i, size, Persistence.NotPersistent)), "non-persistent put");
                await QueueManagerBootstrap.StopAsync(qm.Actor);
                qm = await QueueManagerBootstrap.StartAsync(system, settings);
                conn = new QueueManagerConnection(qm.Actor, "actorqm-demo");
                var input = await conn.OpenAsync("APP.IN", Mqi.QueueManagerApi.OpenPurpose.Input);
                var got = await Pipelined(count, _ => input.GetAsync(), "get after restart");
                var intact = got.Select((g, i) => Same(g.Message, i, size)).All(x => x);
                var leftover = await TryGet(input);
                results.Add(("restart keeps persistent only", count, sw.Elapsed.TotalSeconds, intact && leftover is null,
                    leftover is null ? $"{count} persistent back in order, non-persistent gone" : "a non-persistent message survived"));

                results.Add(await Routing(conn, size));
                results.Add(await DeadLetter(conn, size));
                results.Add(await Refusals(conn));
                await QueueManagerBootstrap.StopAsync(qm.Actor);
            }
            finally
            {
                await system.Terminate();
            }
        }
        finally
        {
            Keep(dir, keep, restart);
        }

        return Report(results, size, 32, "demo passed: every message came back intact");
    }

    private static async Task<(string, int, double, bool, string)> RoundTrip(QueueManagerConnection conn, string phase, int count, int size, Persistence persistence)
    {
        var output = await conn.OpenAsync("APP.IN", Mqi.QueueManagerApi.OpenPurpose.Output);
        var input = await conn.OpenAsync("APP.ALIAS", Mqi.QueueManagerApi.OpenPurpose.Input);
        var sw = Stopwatch.StartNew();
        await Pipelined(count, i => output.PutAsync(Message(i, size, persistence)), phase + " (put)");
        var putSeconds = sw.Elapsed.TotalSeconds;
        var got = await Pipelined(count, _ => input.GetAsync(), phase + " (get)");
        var seconds = sw.Elapsed.TotalSeconds;
        var ok = got.Select((g, i) => Same(g.Message, i, size) && g.Message.Descriptor.Persistence == persistence).All(x => x);
        return (phase, count, seconds, ok, $"puts {count / putSeconds:F0}/s, gets {count / (seconds - putSeconds):F0}/s, byte-identical and in order");
    }

    private static async Task<(string, int, double, bool, string)> Routing(QueueManagerConnection conn, int size)
    {
        var sw = Stopwatch.StartNew();
        await conn.PutAsync("APP.REMOTE", Message(1, size, Persistence.Persistent));
        await conn.PutAsync("APP.IN", Message(2, size, Persistence.Persistent), "QM2");
        await conn.PutAsync("APP.IN", Message(3, size, Persistence.Persistent), "QM2.ALIAS");
        var ok = true;
        for (var i = 1; i <= 3; i++)
        {
            var (header, data) = TransmissionHeader.Unwrap(await conn.GetAsync("QM2"));
            ok &= header is { RemoteQName: "APP.IN", RemoteQMgrName: "QM2" } && Same(new MqMessage(header.Original, data), i, size);
        }

        return ("remote, QM name, QM alias -> xmitq", 3, sw.Elapsed.TotalSeconds, ok, "each on transmission queue QM2 with MQXQH for APP.IN at QM2");
    }

    private static async Task<(string, int, double, bool, string)> DeadLetter(QueueManagerConnection conn, int size)
    {
        var sw = Stopwatch.StartNew();
        var reply = await conn.QueueManager.Ask<object>(new QueueManager.PutDeadLetter(Message(7, size, Persistence.Persistent), (int)MqReason.QFull, "APP.FULL", "QM2", "actorqm-demo"), TimeSpan.FromSeconds(30));
        QueueManagerConnection.PutResult(reply);
        var (header, data) = DeadLetterHeader.Unwrap(await conn.GetAsync("DEMO.DLQ"));
        var ok = header is { Reason: (int)MqReason.QFull, DestQName: "APP.FULL" } && Same(new MqMessage(MessageDescriptor.Default, data), 7, size);
        return ("dead-letter queue", 1, sw.Elapsed.TotalSeconds, ok, $"MQDLH reason {header.Reason} (MQRC_Q_FULL), destination {header.DestQName}");
    }

    private static async Task<(string, int, double, bool, string)> Refusals(QueueManagerConnection conn)
    {
        var sw = Stopwatch.StartNew();
        var unknown = await Reason(() => conn.PutAsync("NO.SUCH.QUEUE", Message(0, 16, Persistence.NotPersistent)));
        await conn.PutAsync("TINY", Message(0, 16, Persistence.NotPersistent));
        var full = await Reason(() => conn.PutAsync("TINY", Message(1, 16, Persistence.NotPersistent)));
        var ok = unknown == MqReason.UnknownObjectName && full == MqReason.QFull;
        return ("refusals with reason codes", 2, sw.Elapsed.TotalSeconds, ok, $"unknown queue MQRC {(int)unknown}, full queue MQRC {(int)full}");
    }

    private static async Task<MqReason> Reason(Func<Task> action)
    {
        try
        {
            await action();
            return MqReason.None;
        }
        catch (MqException e)
        {
            return e.Reason;
        }
    }

    private static async Task<LocalQueue.MessageGot?> TryGet(OpenedQueue queue)
    {
        try
        {
            return await queue.GetAsync();
        }
        catch (MqException e) when (e.Reason == MqReason.NoMsgAvailable)
        {
            return null;
        }
    }
}
