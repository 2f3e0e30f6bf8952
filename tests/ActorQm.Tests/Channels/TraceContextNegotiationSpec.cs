using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using ActorQm.Channels;
using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.Tests.Support;
using Xunit.Abstractions;

namespace ActorQm.Tests.Channels;

/// <summary>
/// Version-2 descriptors only go to an end that said it reads them (docs/protocol.md, "Initial data"), and what a partner
/// sends as a transmission header is checked before it is read: a partner of an earlier release, played here by a raw TLS
/// peer speaking the channel protocol, gets every message without its trace context; a hostile one is closed with AMQ9504E.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TraceContextNegotiationSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private static readonly ActivityContext Trace = new(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
    private readonly TempDirectory _dir = new();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Sender_must_send_a_traced_message_without_its_trace_context_to_a_receiver_that_did_not_say_it_reads_it(bool partnerReads)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var key = QueueManagerPair.KeyRepository(_dir, "qm1key", "ibmwebspheremqqm1", TestPki.Shared.Qm1);
        var qm1 = await QueueManagerPair.Start(Sys, _dir, "QM1", $"""
            ALTER QMGR SSLKEYR('{key}')
            DEFINE QLOCAL('QM2') USAGE(XMITQ)
            DEFINE QREMOTE('APP.REMOTE') RNAME('APP.IN') RQMNAME('QM2') XMITQ('QM2')
            DEFINE CHANNEL('QM1.TO.QM2') CHLTYPE(SDR) CONNAME('127.0.0.1({port})') XMITQ('QM2') SSLCIPH(TLS_AES_128_GCM_SHA256) SSLPEER('CN=QM2,O=Example') NPMSPEED(NORMAL)
            """);
        var local = new ActorQm.QueueManagers.QueueManagerConnection(qm1.Actor);
        var traced = TestMessages.Text("traced", Persistence.Persistent);
        await local.PutAsync("APP.REMOTE", traced with { Descriptor = traced.Descriptor with { TraceContext = Trace } });
        await local.RunMqscAsync("START CHANNEL('QM1.TO.QM2')");

        using var tcp = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(20));
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificate = TestPki.Shared.Qm2, ClientCertificateRequired = true, RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });
        var hello = Assert.IsType<InitialData>(await Read(tls));
        Assert.True(hello.ReadsTraceContext);
        await Write(tls, new InitialDataReply("QM2", hello.BatchSize, hello.MaxMessageLength, hello.HeartbeatSeconds, 0, ReadsTraceContext: partnerReads));
        var message = Assert.IsType<MessageSegment>(await Read(tls));

        var header = TransmissionHeader.TryRead(message.XmitMessage)!;
        Assert.Equal(partnerReads ? 384 : 352, header.Length);
        Assert.Equal(partnerReads ? Trace.TraceId : default, header.Original.TraceContext.TraceId);
        Assert.Equal("traced", System.Text.Encoding.UTF8.GetString(message.XmitMessage.AsSpan(header.Length)));
    }

    [Theory]
    [InlineData("v2-short")] // a version-2 descriptor in a message only long enough for version 1
    [InlineData("bad-utf8")] // a Format of 0xFF bytes: not UTF-8, which would decode to more than its 8 bytes
    [InlineData("v2-zero-ids")] // accepted: a version-2 header with zero ids is untraced, its data still starts after 280 bytes
    public async Task Receiver_must_close_a_partner_sending_a_transmission_header_it_does_not_read_and_read_one_with_invalid_ids_whole(string kind)
    {
        var pair = await QueueManagerPair.StartAsync(Sys, _dir, sdrAttributes: "NPMSPEED(NORMAL)", rcvrAttributes: "NPMSPEED(NORMAL)");
        var failures = CreateTestProbe();
        Sys.EventStream.Subscribe(failures.Ref, typeof(Channel.ChannelFailed));
        var data = "whole"u8.ToArray();
        var xmit = TransmissionHeader.Wrap(new MqMessage(TestMessages.Text("x", Persistence.Persistent).Descriptor with { TraceContext = Trace }, data), "APP.IN", "QM2").Payload.ToArray();
        switch (kind)
        {
            case "v2-short":
                xmit = xmit[..360];
                break;
            case "bad-utf8":
                xmit.AsSpan(104 + 88, 8).Fill(0xFF);
                break;
            default:
                xmit.AsSpan(104 + 248, 24).Clear();
                break;
        }

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, pair.Port);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = ActorQm.Tls.ChannelSni.Encode(QueueManagerPair.Channel), ClientCertificates = [TestPki.Shared.Qm1], RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });
        await Write(tls, new InitialData(QueueManagerPair.Channel, ChannelType.Sender, "QM1", 50, 4 * 1024 * 1024, 300, 999_999_999, "TLS_AES_128_GCM_SHA256", 0, 0, ReadsTraceContext: true));
        Assert.IsType<InitialDataReply>(await Read(tls));
        await Write(tls, new MessageSegment(1, true, xmit));
        await Write(tls, new BatchEnd(1, 1));

        if (kind == "v2-zero-ids")
        {
            Assert.IsType<Confirm>(await Read(tls));
            var got = await pair.Conn2.GetAsync("APP.IN", new ActorQm.Queues.GetOptions { Wait = TimeSpan.FromSeconds(10) });
            Assert.Equal(data, got.Payload.ToArray());
            Assert.Equal(default, got.Descriptor.TraceContext);
            return;
        }

        var failed = await failures.FishForMessageAsync<Channel.ChannelFailed>(f => f.QMgrName == "QM2", TimeSpan.FromSeconds(10));
        Assert.Equal("AMQ9504E", failed.AmqCode);
        Assert.Contains("MQXQH", failed.Detail, StringComparison.Ordinal);
    }

    private static async Task<Segment?> Read(Stream stream)
    {
        var header = new byte[FrameStream.HeaderBytes];
        var length = await FrameStream.ReadLengthAsync(stream, header, 8 * 1024 * 1024, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        var frame = new byte[length!.Value];
        await stream.ReadExactlyAsync(frame).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        return ChannelFrames.Decode(frame).Segment;
    }

    private static Task Write(Stream stream, Segment segment) => FrameStream.WriteAsync(stream, ChannelFrames.Encode(segment), CancellationToken.None);

    public new void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
