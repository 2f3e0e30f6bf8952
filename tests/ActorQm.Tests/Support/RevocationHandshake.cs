using ActorQm.Tls;
using Akka.Actor;
using Akka.TestKit;

namespace ActorQm.Tests.Support;

internal static class RevocationHandshake
{
    private static readonly PeerRequirements Needs = new(CipherSpecs.Select("ANY_TLS12_OR_HIGHER")!);

    /// <summary>
    /// QM2 (the shared PKI's responder) checks an initiator presenting <paramref name="initiator"/>
    /// with <paramref name="revocation"/>, over real TLS on loopback; returns what QM2's requester is told.
    /// The sockets join <paramref name="disposables"/>.
    /// </summary>
    public static async Task<object> RespondToAsync(this TestKitBase kit, TlsCredentials initiator, RevocationSettings revocation, ICollection<IDisposable> disposables, TlsCredentials? responder = null)
    {
        var (i, r) = await LoopbackTls.ConnectAsync();
        disposables.Add(i);
        disposables.Add(r);
        var supervisor = kit.Sys.ActorOf(HandshakeSupervisor.Props(new HandshakeSupervisor.Settings(StepTimeout: TimeSpan.FromSeconds(10))));
        var inbound = kit.CreateTestProbe();
        supervisor.Tell(new Handshake.StartHandshake("in", HandshakeRole.Responder, r.GetStream(), "QM2", responder ?? TestPki.Shared.Credentials(TestPki.Shared.Qm2), Needs, inbound) { Revocation = revocation });
        supervisor.Tell(new Handshake.StartHandshake("out", HandshakeRole.Initiator, i.GetStream(), "QM2", initiator, Needs, kit.CreateTestProbe()));
        return await inbound.ExpectMsgAsync<object>(TimeSpan.FromSeconds(20));
    }
}
