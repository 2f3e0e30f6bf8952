using ActorQm.Client;
using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.QueueManagers;
using ActorQm.Tests.Support;
using static ActorQm.Tests.Support.TestMessages;

namespace ActorQm.Tests.Hardening;

/// <summary>
/// The matrix's authorization cases (docs/security.md): a peer whose certificate passes every check is admitted as the
/// low-privilege principal 'low', which may use only LOW.* queues, and then tries what that principal may not do, or to
/// take more than one connection may hold. Each attempt must be refused with its MQRC, nothing must leak (no message
/// got, put or routed; the SYSTEM queue's message still there) and a good client must work right afterwards.
/// </summary>
public sealed partial class HostilePeerMatrixSpec
{
    /// <summary>The low-privilege channel and principal, and a transmission queue it may put to but not with a hand-made MQXQH.</summary>
    private const string LowPrivilegeDefinitions = """
        DEFINE CHANNEL('LOW.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLCAUTH(REQUIRED) MCAUSER('low')
        DEFINE QLOCAL('LOW.IN')
        DEFINE QLOCAL('SYSTEM.ADMIN.COMMAND.QUEUE')
        DEFINE QLOCAL('QM9') USAGE(XMITQ)
        ALTER QMGR MAXHANDS(8) MAXUMSGS(16)
        SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('low') AUTHADD(CONNECT)
        SET AUTHREC PROFILE('LOW.**') OBJTYPE(QUEUE) PRINCIPAL('low') AUTHADD(PUT,GET,BROWSE)
        SET AUTHREC PROFILE('QM9') OBJTYPE(QUEUE) PRINCIPAL('low') AUTHADD(PUT)
        """;

    /// <summary>What an admitted peer tries, and the MQRC that must refuse it.</summary>
    public sealed record AuthorityCase(string Name, MqReason Expected, Func<MqClient, Task> Act);

    public static readonly AuthorityCase[] AuthorityCases =
    [
        new("admitted principal opens another application's queue for input", MqReason.NotAuthorized, c => c.OpenAsync("APP.IN", ClientOpenPurpose.Input)),
        new("admitted principal browses another application's queue", MqReason.NotAuthorized, c => c.OpenAsync("APP.IN", ClientOpenPurpose.Browse)),
        new("admitted principal puts to another application's queue", MqReason.NotAuthorized, c => c.PutAsync("APP.IN", Text("intruder"))),
        new("admitted principal opens a SYSTEM.* queue", MqReason.NotAuthorized, c => c.OpenAsync("SYSTEM.ADMIN.COMMAND.QUEUE", ClientOpenPurpose.Input)),
        new("admitted principal puts a forged MQXQH on a transmission queue", MqReason.NotAuthorized, c =>
            c.PutAsync("QM9", new MqMessage(MessageDescriptor.Default, TransmissionHeader.Wrap(Text("forged route"), "APP.IN", "QM9").Payload))),
        new("admitted principal sets all context without SETALL", MqReason.NotAuthorized, c =>
            c.PutAsync("LOW.IN", Text("forged origin") with { Descriptor = MessageDescriptor.Default with { UserIdentifier = "app" } }, new ClientPutOptions { Context = MqPutContext.SetAll })),
        new("admitted principal acts as an alternate user without ALTUSR", MqReason.NotAuthorized, c =>
            c.OpenAsync("APP.IN", MqOpenOptions.Output | MqOpenOptions.AlternateUserAuthority, alternateUserId: "app")),
        new("admitted principal opens more handles than MAXHANDS", MqReason.HandleNotAvailable, async c =>
        {
            for (var i = 0; i < 9; i++)
            {
                await c.OpenAsync("LOW.IN", ClientOpenPurpose.Output);
            }
        }),
        new("admitted principal holds more uncommitted messages than MAXUMSGS", MqReason.SyncpointLimitReached, async c =>
        {
            for (var i = 0; i < 17; i++)
            {
                await c.PutAsync("LOW.IN", Text($"uncommitted {i}"), syncpoint: true);
            }
        }),
    ];

    public static IEnumerable<object[]> AuthorityCaseNames => AuthorityCases.Select(c => new object[] { c.Name });

    [Theory]
    [MemberData(nameof(AuthorityCaseNames))]
    public async Task Admitted_peer_must_be_refused_what_its_principal_may_not_do_leak_nothing_and_leave_the_listener_serving(string name)
    {
        var test = AuthorityCases.Single(c => c.Name == name);
        var (qm, port) = await StartQueueManager(Client(TestPki.Leaf(Ca, App)));
        await new QueueManagerConnection(qm).PutAsync("SYSTEM.ADMIN.COMMAND.QUEUE", Text("secret"));

        MqException? refusal = null;
        await using (var attacker = await MqClient.ConnectAsync(Options(port, Client(TestPki.Leaf(Ca, App)) with { Channel = "LOW.SVRCONN" })))
        {
            refusal = await Record.ExceptionAsync(() => test.Act(attacker)) as MqException;
        }

        // Leaked: anything that reached another application's queue, a transmission queue or stayed uncommitted, or a SYSTEM message gone.
        var leaked = (await DrainAsync(qm, "APP.IN")).Count + (await DrainAsync(qm, "QM9")).Count + (await DrainAsync(qm, "LOW.IN")).Count(m => m.StartsWith("uncommitted", StringComparison.Ordinal) || m == "forged origin");
        var system = await DrainAsync(qm, "SYSTEM.ADMIN.COMMAND.QUEUE");
        var goodAfter = await GoodClientWorks(port);
        var code = refusal is null ? null : ((int)refusal.Reason).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Report(name, refusal is not null, code, ((int)test.Expected).ToString(System.Globalization.CultureInfo.InvariantCulture), leaked + (system.SequenceEqual(["secret"]) ? 0 : 1), goodAfter);
        Output!.WriteLine($"{name}: client saw '{refusal?.Message}'");

        Assert.NotNull(refusal);
        Assert.Equal(test.Expected, refusal.Reason);
        if (test.Expected == MqReason.NotAuthorized)
        {
            Assert.Contains("AMQ8077W: entity 'low'", refusal.Message, StringComparison.Ordinal);
        }

        Assert.Equal(0, leaked);
        Assert.Equal(["secret"], system);
        Assert.True(goodAfter, $"{name}: a good client could not work on the same listener afterwards");
    }
}
