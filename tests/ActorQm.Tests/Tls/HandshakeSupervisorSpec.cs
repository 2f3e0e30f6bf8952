using ActorQm.Tests.Support;
using ActorQm.Tls;
using Akka.Actor;
using Xunit.Abstractions;
using static ActorQm.Tls.Handshake;

namespace ActorQm.Tests.Tls;

/// <summary>The bounds a handshake supervisor puts on a listener's handshakes, over real loopback sockets.</summary>
public sealed class HandshakeSupervisorSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output), IDisposable
{
    private readonly List<IDisposable> _sockets = [];

    private async Task<(Stream Initiator, Stream Responder)> Connect()
    {
        var (client, server) = await LoopbackTls.ConnectAsync();
        _sockets.Add(client);
        _sockets.Add(server);
        return (client.GetStream(), server.GetStream());
    }

    private static PeerRequirements Any() => new(CipherSpecs.Select("ANY_TLS12_OR_HIGHER")!, null, ClientAuthRequired: true);

    private IActorRef Supervisor(int maxConcurrent, double stepSeconds) =>
        Sys.ActorOf(HandshakeSupervisor.Props(new HandshakeSupervisor.Settings(maxConcurrent, 8, TimeSpan.FromSeconds(stepSeconds))));

    [Fact]
    public async Task HandshakeSupervisor_must_not_let_callers_that_send_nothing_hold_the_running_slots()
    {
        var responders = Supervisor(maxConcurrent: 1, stepSeconds: 15);
        var initiators = Supervisor(maxConcurrent: 1, stepSeconds: 15);
        var silentProbe = CreateTestProbe("silent");
        for (var i = 0; i < 3; i++)
        {
            var (_, silent) = await Connect();
            responders.Tell(new StartHandshake($"silent-{i}", HandshakeRole.Responder, silent, "QM2", TestPki.Shared.Credentials(TestPki.Shared.Qm2), Any(), silentProbe));
        }

        var (initiator, responder) = await Connect();
        var outProbe = CreateTestProbe("out");
        var inProbe = CreateTestProbe("in");
        initiators.Tell(new StartHandshake("out", HandshakeRole.Initiator, initiator, "QM2", TestPki.Shared.Credentials(TestPki.Shared.Qm1), Any(), outProbe));
        responders.Tell(new StartHandshake("in", HandshakeRole.Responder, responder, "QM2", TestPki.Shared.Credentials(TestPki.Shared.Qm2), Any(), inProbe));

        // Well within the 15 s step timeout that the silent ones would otherwise hold the only slot for.
        (await inProbe.ExpectMsgAsync<HandshakeSucceeded>(TimeSpan.FromSeconds(5))).Stream.Dispose();
        (await outProbe.ExpectMsgAsync<HandshakeSucceeded>(TimeSpan.FromSeconds(5))).Stream.Dispose();
        await silentProbe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));

        // The handshake actors told their supervisors they had answered before they stopped: no refusal follows an acceptance.
        await inProbe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        await outProbe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        Assert.Equal(0L, (await initiators.Ask<HandshakeSupervisor.Status>(HandshakeSupervisor.GetStatus.Instance, TimeSpan.FromSeconds(5))).Failed);
    }

    [Fact]
    public async Task HandshakeSupervisor_must_refuse_a_caller_that_sends_nothing_within_the_step_timeout()
    {
        var responders = Supervisor(maxConcurrent: 4, stepSeconds: 1);
        var (_, silent) = await Connect();
        var probe = CreateTestProbe();

        responders.Tell(new StartHandshake("silent", HandshakeRole.Responder, silent, "QM2", TestPki.Shared.Credentials(TestPki.Shared.Qm2), Any(), probe));

        var failed = await probe.ExpectMsgAsync<HandshakeFailed>(TimeSpan.FromSeconds(5));
        Assert.Equal(("AMQ9638E", HandshakeStep.CertificateExchange), (failed.AmqCode, failed.Step));
        Assert.Contains("sent nothing", failed.Detail, StringComparison.Ordinal);
        var status = await responders.Ask<HandshakeSupervisor.Status>(HandshakeSupervisor.GetStatus.Instance, TimeSpan.FromSeconds(5));
        Assert.Equal((0, 0, 1L), (status.Running, status.Queued, status.Failed));
    }

    [Fact]
    public async Task HandshakeSupervisor_must_free_a_callers_per_address_place_when_its_handshake_ends_even_if_connection_ids_repeat()
    {
        var responders = Sys.ActorOf(HandshakeSupervisor.Props(new HandshakeSupervisor.Settings(8, 8, TimeSpan.FromSeconds(10), MaxPerAddress: 2)));
        var initiators = Supervisor(maxConcurrent: 8, stepSeconds: 10);

        // Three rounds of two concurrent handshakes from 127.0.0.1, every responder under the id "in":
        // each round must find both places free again.
        for (var round = 0; round < 3; round++)
        {
            var probes = new List<Akka.TestKit.TestProbe>();
            for (var i = 0; i < 2; i++)
            {
                var (initiator, responder) = await Connect();
                var inProbe = CreateTestProbe();
                probes.Add(inProbe);
                probes.Add(CreateTestProbe());
                initiators.Tell(new StartHandshake("out", HandshakeRole.Initiator, initiator, "QM2", TestPki.Shared.Credentials(TestPki.Shared.Qm1), Any(), probes[^1]));
                responders.Tell(new StartHandshake("in", HandshakeRole.Responder, responder, "QM2", TestPki.Shared.Credentials(TestPki.Shared.Qm2), Any(), inProbe));
            }

            foreach (var probe in probes)
            {
                var outcome = await probe.ExpectMsgAsync<object>(TimeSpan.FromSeconds(10));
                Assert.True(outcome is HandshakeSucceeded, $"round {round}: {outcome}");
                ((HandshakeSucceeded)outcome).Stream.Dispose();
            }
        }
    }

    [Fact]
    public async Task HandshakeSupervisor_must_complete_a_burst_of_pairs_whose_both_ends_it_runs_however_few_its_slots()
    {
        // Both ends of every pair on one supervisor with two running slots: initiators that took the slots must not wait for
        // ever on their responders queued behind them (the benchmark's "8 concurrent" phase ended in AMQ9665E that way).
        var supervisor = Sys.ActorOf(HandshakeSupervisor.Props(new HandshakeSupervisor.Settings(2, 64, TimeSpan.FromSeconds(5))));
        var probes = new List<Akka.TestKit.TestProbe>();
        for (var i = 0; i < 12; i++)
        {
            var (initiator, responder) = await Connect();
            var outProbe = CreateTestProbe();
            var inProbe = CreateTestProbe();
            probes.Add(outProbe);
            probes.Add(inProbe);
            supervisor.Tell(new StartHandshake($"out-{i}", HandshakeRole.Initiator, initiator, "QM2", TestPki.Shared.Credentials(TestPki.Shared.Qm1), Any(), outProbe));
            supervisor.Tell(new StartHandshake($"in-{i}", HandshakeRole.Responder, responder, "QM2", TestPki.Shared.Credentials(TestPki.Shared.Qm2), Any(), inProbe));
        }

        foreach (var probe in probes)
        {
            var outcome = await probe.ExpectMsgAsync<object>(TimeSpan.FromSeconds(20));
            Assert.True(outcome is HandshakeSucceeded, outcome.ToString());
            ((HandshakeSucceeded)outcome).Stream.Dispose();
        }

        var status = await supervisor.Ask<HandshakeSupervisor.Status>(HandshakeSupervisor.GetStatus.Instance, TimeSpan.FromSeconds(5));
        Assert.Equal((0L, 0L), (status.Refused, status.Failed));
    }

    public new void Dispose()
    {
        base.Dispose();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
    }
}
