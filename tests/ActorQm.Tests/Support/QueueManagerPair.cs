using System.Security.Cryptography.X509Certificates;
using ActorQm.Channels;
using ActorQm.QueueManagers;
using Akka.Actor;

namespace ActorQm.Tests.Support;

/// <summary>
/// Two queue managers in one actor system, each with a key repository of its own from the shared
/// test PKI: QM2 listens on a loopback port chosen by the system, QM1 has a sender channel
/// QM1.TO.QM2 to it and a remote queue APP.REMOTE for QM2's APP.IN.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class QueueManagerPair
{
    public const string Channel = "QM1.TO.QM2";

    public required StartedQueueManager Qm1 { get; init; }
    public required StartedQueueManager Qm2 { get; init; }
    public required int Port { get; init; }

    public QueueManagerConnection Conn1 => new(Qm1.Actor, "qm1-app");
    public QueueManagerConnection Conn2 => new(Qm2.Actor, "qm2-app");

    /// <param name="qm1Extra">MQSC appended to QM1's script; the channel is defined after it.</param>
    /// <param name="sdrAttributes">Extra attributes of the SDR definition.</param>
    /// <param name="rcvrAttributes">Extra attributes of the RCVR definition.</param>
    public static async Task<QueueManagerPair> StartAsync(ActorSystem system, TempDirectory dir, string sdrAttributes = "", string rcvrAttributes = "", string qm2Extra = "", string qm1Extra = "", string cipher = "TLS_AES_128_GCM_SHA256", string retry = "SHORTRTY(100) SHORTTMR(1)", string qm1Hocon = "", string qm2Hocon = "")
    {
        var key1 = KeyRepository(dir, "qm1key", "ibmwebspheremqqm1", TestPki.Shared.Qm1);
        var key2 = KeyRepository(dir, "qm2key", "ibmwebspheremqqm2", TestPki.Shared.Qm2);
        var qm2 = await Start(system, dir, "QM2", $"""
            ALTER QMGR SSLKEYR('{key2}')
            DEFINE QLOCAL('DLQ')
            ALTER QMGR DEADQ('DLQ')
            DEFINE QLOCAL('APP.IN') MAXDEPTH(100000)
            DEFINE CHANNEL('{Channel}') CHLTYPE(RCVR) SSLCIPH({cipher}) SSLCAUTH(REQUIRED) SSLPEER('CN=QM1,O=Example') {rcvrAttributes}
            DEFINE LISTENER('L1') PORT(0) IPADDR('127.0.0.1') CONTROL(QMGR)
            {qm2Extra}
            """, qm2Hocon);
        var port = await ListenerPort(qm2.Actor);
        var qm1 = await Start(system, dir, "QM1", $"""
            ALTER QMGR SSLKEYR('{key1}')
            DEFINE QLOCAL('QM2') USAGE(XMITQ) MAXDEPTH(100000)
            DEFINE QREMOTE('APP.REMOTE') RNAME('APP.IN') RQMNAME('QM2') XMITQ('QM2')
            {qm1Extra}
            DEFINE CHANNEL('{Channel}') CHLTYPE(SDR) CONNAME('127.0.0.1({port})') XMITQ('QM2') SSLCIPH({cipher}) SSLPEER('CN=QM2,O=Example') {retry} {sdrAttributes}
            """, qm1Hocon);
        return new QueueManagerPair { Qm1 = qm1, Qm2 = qm2, Port = port };
    }

    public static async Task<int> ListenerPort(IActorRef qm, string listener = "L1")
    {
        for (var i = 0; i < 100; i++)
        {
            var listeners = await qm.Ask<Channel.Listeners>(QueueManager.GetListeners.Instance, TimeSpan.FromSeconds(5));
            if (listeners.Bound.TryGetValue(listener, out var bound))
            {
                return bound.Port;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"listener {listener} did not start");
    }

    public static async Task<StartedQueueManager> Start(ActorSystem system, TempDirectory dir, string name, string script, string hocon = "")
    {
        File.WriteAllText(dir.File(name + ".mqsc"), script);
        var qm = await QueueManagerBootstrap.StartAsync(system, TestMessages.Settings(name, dir.Path, hocon) with { MqscFile = dir.File(name + ".mqsc") });
        if (qm.StartupOutput!.Failed > 0)
        {
            throw new InvalidOperationException(string.Join("\n", qm.StartupOutput.Lines));
        }

        return qm;
    }

    public async Task<ChannelStatus?> Status(IActorRef qm, string channel = Channel) =>
        (await qm.Ask<IReadOnlyList<ChannelStatus>>(QueueManager.GetChannelStatus.Instance, TimeSpan.FromSeconds(5))).FirstOrDefault(s => s.Name == channel);

    /// <summary>A key repository folder: the shared root and intermediate trusted, one personal certificate.</summary>
    public static string KeyRepository(TempDirectory dir, string folder, string label, X509Certificate2 own)
    {
        var path = dir.File(folder);
        Directory.CreateDirectory(Path.Combine(path, "personal"));
        Directory.CreateDirectory(Path.Combine(path, "trusted"));
        File.WriteAllText(Path.Combine(path, "trusted", "root.pem"), TestPki.Shared.Root.Certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(path, "trusted", "ca.pem"), TestPki.Shared.Ca.Certificate.ExportCertificatePem());
        File.WriteAllBytes(Path.Combine(path, "personal", label + ".p12"), own.Export(X509ContentType.Pkcs12, "pw"));
        File.WriteAllText(path + ".sth", "pw\n");
        File.SetUnixFileMode(path + ".sth", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }
}
