using System.Diagnostics;
using ActorQm.Channels;
using ActorQm.Cli.Dev;
using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.QueueManagers;
using ActorQm.Queues;
using ActorQm.Tls;
using Akka.Actor;
using Akka.Configuration;
using static ActorQm.Cli.DemoMessages;

namespace ActorQm.Cli;

/// <summary>
/// The main demo: a throwaway dev PKI (root, intermediate, one certificate per queue manager,
/// an OCSP responder in this process named in the certificates, a CRL of the root), queue managers
/// QM1 and QM2 on free loopback ports, a sender/receiver channel with TLS 1.3, mutual
/// authentication and SSLPEER filters both ways, revocation checked by OCSP (peer certificates)
/// and CRL (the intermediate). Sends persistent then non-persistent messages QM1 to QM2, reads
/// them back on QM2, shows that a revoked certificate is refused, prints DISPLAY CHSTATUS and
/// the rates, and exits 0 only if every message arrived intact, in order, exactly once.
/// </summary>
internal static class ChannelDemo
{
    private const string ChannelName = "QM1.TO.QM2";
    private const string Cipher = "TLS_AES_128_GCM_SHA256";

    public static async Task<int> Run(int count, int size, bool keep)
    {
        var dir = Directory.CreateTempSubdirectory("actorqm-demo-");
        var results = new List<(string Phase, int Messages, double Seconds, bool Ok, string Note)>();
        using var responder = new DevOcspResponder();
        ActorSystem? system = null;
        string? restart = null;
        try
        {
            var pki = DevPki.Create(responder.Url);
            responder.AnswerFor(pki.Intermediate.Certificate, pki.Intermediate.Key);
            var qm1Cert = pki.Issue($"CN=QM1,OU=Demo,{DevPki.Organisation}");
            var qm2Cert = pki.Issue($"CN=QM2,OU=Demo,{DevPki.Organisation}");
            var rogueCert = pki.Issue($"CN=QM1,OU=Rogue,{DevPki.Organisation}");
            responder.Revoke(rogueCert.Certificate.SerialNumber);
            pki.WriteKeyRepository(Path.Combine(dir.FullName, "qm1", "key"), "ibmwebspheremqqm1", qm1Cert);
            pki.WriteKeyRepository(Path.Combine(dir.FullName, "qm2", "key"), "ibmwebspheremqqm2", qm2Cert);
            pki.WriteKeyRepository(Path.Combine(dir.FullName, "qm3", "key"), "ibmwebspheremqqm3", rogueCert);
            await File.WriteAllBytesAsync(Path.Combine(dir.FullName, "root.crl"), DevPki.Crl(pki.Root));
            Console.WriteLine($"ActorQm demo in {dir.FullName}: dev PKI (root, intermediate, QM1, QM2, a revoked QM3), OCSP responder {responder.Url}, {count} messages of {size} bytes per phase");

            var config = ConfigurationFactory.ParseString("""
                actorqm.queue-managers {
                  QM1 { mqsc-file = "qm1.mqsc", store.path = "qm1/QM1.db", tls.crl-files = ["root.crl"] }
                  QM2 { mqsc-file = "qm2.mqsc", store.path = "qm2/QM2.db", tls.crl-files = ["root.crl"] }
                  QM3 { mqsc-file = "qm3.mqsc", store.path = "qm3/QM3.db", tls.crl-files = ["root.crl"] }
                }
                """);
            var settings = ActorQmSettings.Create(config, dir.FullName).QueueManagers.ToDictionary(q => q.Name);
            system = CliConfig.CreateSystem(config, "ERROR");
            var sslErrors = new List<Handshake.ChannelSslError>();
            var listener = system.ActorOf(Props.Create(() => new Collector<Handshake.ChannelSslError>(sslErrors)));
            system.EventStream.Subscribe(listener, typeof(Handshake.ChannelSslError));

            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "qm2.mqsc"), $"""
                ALTER QMGR SSLKEYR('{Path.Combine(dir.FullName, "qm2", "key")}') DEADQ('DEMO.DLQ')
                DEFINE QLOCAL('DEMO.DLQ')
                DEFINE QLOCAL('APP.IN') MAXDEPTH(1000000)
                DEFINE CHANNEL('{ChannelName}') CHLTYPE(RCVR) SSLCIPH({Cipher}) SSLCAUTH(REQUIRED) SSLPEER('CN=QM1,OU=Demo,{DevPki.Organisation}')
                DEFINE LISTENER('DEMO.LISTENER') IPADDR('127.0.0.1') PORT(0) CONTROL(QMGR)
                """);
            var qm2 = await QueueManagerBootstrap.StartAsync(system, settings["QM2"]);
            var port = await ListenerPort(qm2.Actor);
            foreach (var (qm, name) in new[] { ("qm1", "QM1"), ("qm3", "QM3") })
            {
                await File.WriteAllTextAsync(Path.Combine(dir.FullName, qm + ".mqsc"), $"""
                    ALTER QMGR SSLKEYR('{Path.Combine(dir.FullName, qm, "key")}')
                    DEFINE QLOCAL('QM2') USAGE(XMITQ) MAXDEPTH(1000000)
                    DEFINE QREMOTE('APP.REMOTE') RNAME('APP.IN') RQMNAME('QM2') XMITQ('QM2')
                    DEFINE CHANNEL('{ChannelName}') CHLTYPE(SDR) CONNAME('127.0.0.1({port})') XMITQ('QM2') SSLCIPH({Cipher}) SSLPEER('CN=QM2,OU=Demo,{DevPki.Organisation}') SHORTRTY(3) SHORTTMR(1) LONGRTY(0)
                    """);
            }

            var qm1 = await QueueManagerBootstrap.StartAsync(system, settings["QM1"]);
            Console.WriteLine($"  QM2 listens on 127.0.0.1:{port}; QM1 starts channel {ChannelName} (SDR -> RCVR, {Cipher}, SSLCAUTH(REQUIRED), SSLPEER both ways, OCSP + CRL)");
            var conn1 = new QueueManagerConnection(qm1.Actor, "actorqm-demo");
            var conn2 = new QueueManagerConnection(qm2.Actor, "actorqm-demo");
            await conn1.RunMqscAsync($"START CHANNEL('{ChannelName}')");

            var next = 0;
            foreach (var persistence in new[] { Persistence.Persistent, Persistence.NotPersistent })
            {
                results.Add(await Stream(conn1, conn2, persistence, next, count, size));
                next += count;
            }

            results.Add(await Revoked(system, settings["QM3"], conn2, sslErrors, responder, size));

            Console.WriteLine();
            foreach (var (label, conn) in new[] { ("QM1", conn1), ("QM2", conn2) })
            {
                Console.WriteLine($"{label}> DISPLAY CHSTATUS('{ChannelName}')");
                foreach (var line in (await conn.RunMqscAsync($"DISPLAY CHSTATUS('{ChannelName}')")).Lines.Skip(1).SkipLast(3))
                {
                    Console.WriteLine("   " + line);
                }
            }

            Console.WriteLine($"OCSP responder answered {responder.Requests} requests (cached until nextUpdate after the first per certificate).");
            await QueueManagerBootstrap.StopAsync(qm1.Actor);
            await QueueManagerBootstrap.StopAsync(qm2.Actor);
            restart = await Restartable(dir, pki, rogueCert, port);
        }
        finally
        {
            if (system is not null)
            {
                await system.Terminate();
            }

            Keep(dir, keep, restart);
        }

        return Report(results, size, 34, "demo passed: every message arrived intact, in order, exactly once; the revoked peer was refused");
    }

    /// <summary>
    /// What starts QM1 and QM2 again from the kept folder: QM2 listens on the port the channel's CONNAME names, and with the demo's
    /// OCSP responder gone (it ran inside the demo), CRLs of both CAs decide revocation, the revoked QM3 listed.
    /// </summary>
    private static async Task<string> Restartable(DirectoryInfo dir, DevPki pki, DevPki.Issued rogue, int port)
    {
        await File.WriteAllBytesAsync(Path.Combine(dir.FullName, "ica.crl"), DevPki.Crl(pki.Intermediate, rogue.Certificate));
        var qm2 = Path.Combine(dir.FullName, "qm2.mqsc");
        await File.WriteAllTextAsync(qm2, (await File.ReadAllTextAsync(qm2)).Replace("PORT(0)", $"PORT({port})", StringComparison.Ordinal));
        return """
            # QM1 and QM2 of the demo with their journals and start-up scripts (paths relative to this file).
            # Revocation by the CRLs of the dev root and intermediate: the demo's OCSP responder is gone.
            actorqm.queue-managers {
              QM1 { mqsc-file = "qm1.mqsc", store.path = "qm1/QM1.db", tls { crl-files = ["root.crl", "ica.crl"], ocsp-check-extensions = off } }
              QM2 { mqsc-file = "qm2.mqsc", store.path = "qm2/QM2.db", tls { crl-files = ["root.crl", "ica.crl"], ocsp-check-extensions = off } }
            }
            """;
    }

    /// <summary>Puts on QM1 (to the remote queue) while QM2's application gets, and checks every message on arrival.</summary>
    private static async Task<(string, int, double, bool, string)> Stream(QueueManagerConnection conn1, QueueManagerConnection conn2, Persistence persistence, int first, int count, int size)
    {
        var label = persistence == Persistence.Persistent ? "persistent" : "non-persistent";
        var output = await conn1.OpenAsync("APP.REMOTE", Mqi.QueueManagerApi.OpenPurpose.Output);
        var input = await conn2.OpenAsync("APP.IN", Mqi.QueueManagerApi.OpenPurpose.Input);
        var sw = Stopwatch.StartNew();
        var puts = Pipelined(count, i => output.PutAsync(Message(first + i, size, persistence)), label + " put on QM1", quiet: true);
        var wait = new GetOptions { Wait = TimeSpan.FromSeconds(60) };
        var intact = 0;
        using (var bar = new ProgressBar($"{label} QM1 -> QM2", count))
        {
            for (var done = 0; done < count;)
            {
                var window = Math.Min(256, count - done);
                var got = await Task.WhenAll(Enumerable.Range(0, window).Select(_ => input.GetAsync(wait)));
                for (var i = 0; i < window; i++)
                {
                    if (Same(got[i].Message, first + done + i, size) && got[i].Message.Descriptor.Persistence == persistence)
                    {
                        intact++;
                    }
                }

                done += window;
                bar.Report(done);
            }
        }

        await puts;
        var seconds = sw.Elapsed.TotalSeconds;
        var extra = await Extra(input);
        var ok = intact == count && extra == 0;
        return ($"{label} over the TLS channel", count, seconds, ok, $"{intact}/{count} intact and in order, {extra} extra");
    }

    /// <summary>QM3 holds a certificate with QM1's name but revoked at the OCSP responder: QM2 must refuse it before any message.</summary>
    private static async Task<(string, int, double, bool, string)> Revoked(ActorSystem system, QueueManagerSettings settings, QueueManagerConnection conn2, List<Handshake.ChannelSslError> errors, DevOcspResponder responder, int size)
    {
        var sw = Stopwatch.StartNew();
        var qm3 = await QueueManagerBootstrap.StartAsync(system, settings);
        var conn3 = new QueueManagerConnection(qm3.Actor, "rogue");
        await conn3.PutAsync("APP.REMOTE", Message(-1, size, Persistence.Persistent));
        await conn3.RunMqscAsync($"START CHANNEL('{ChannelName}')");
        Handshake.ChannelSslError? refusal = null;
        for (var i = 0; i < 100 && refusal is null; i++)
        {
            await Task.Delay(100);
            lock (errors)
            {
                refusal = errors.FirstOrDefault(e => e.Role == HandshakeRole.Responder && e.AmqCode == "AMQ9633E");
            }
        }

        await conn3.RunMqscAsync($"STOP CHANNEL('{ChannelName}')");
        var leaked = await Extra(await conn2.OpenAsync("APP.IN", Mqi.QueueManagerApi.OpenPurpose.Input));
        await QueueManagerBootstrap.StopAsync(qm3.Actor);
        var ok = refusal is not null && leaked == 0;
        return ("revoked peer refused", 1, sw.Elapsed.TotalSeconds, ok,
            refusal is null ? "QM2 did not refuse the revoked certificate" : $"{refusal.AmqCode} at QM2 (OCSP said revoked), {leaked} messages delivered from it");
    }

    private static async Task<int> Extra(OpenedQueue input)
    {
        var extra = 0;
        try
        {
            while (true)
            {
                await input.GetAsync(new GetOptions { Wait = TimeSpan.FromMilliseconds(300) });
                extra++;
            }
        }
        catch (MqException e) when (e.Reason == MqReason.NoMsgAvailable)
        {
            return extra;
        }
    }

    private static async Task<int> ListenerPort(IActorRef qm)
    {
        for (var i = 0; i < 200; i++)
        {
            var listeners = await qm.Ask<Channel.Listeners>(QueueManager.GetListeners.Instance, TimeSpan.FromSeconds(5));
            if (listeners.Bound.Values.FirstOrDefault() is { } bound)
            {
                return bound.Port;
            }

            await Task.Delay(50);
        }

        throw new CliException("QM2's listener did not start");
    }

    private sealed class Collector<T>(List<T> into) : ReceiveActor
    {
        protected override void Unhandled(object message)
        {
            if (message is T item)
            {
                lock (into)
                {
                    into.Add(item);
                }
            }
        }
    }
}
