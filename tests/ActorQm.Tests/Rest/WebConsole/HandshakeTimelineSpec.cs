using ActorQm.Rest.WebConsole;
using ActorQm.Tests.Support;
using ActorQm.Tls;
using Akka.Actor;
using Xunit.Abstractions;
using static ActorQm.Rest.WebConsole.HandshakeTimeline;
using static ActorQm.Tls.Handshake;

namespace ActorQm.Tests.Rest.WebConsole;

/// <summary>
/// The console's handshake timeline (docs/rest.md, "Console"): what the handshake actors publish on the EventStream becomes,
/// per listener, the last connections with their steps and durations, the deciding step, AMQ code and revocation source,
/// bounded whatever the peers send.
/// </summary>
public sealed class HandshakeTimelineSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestMessages.Quiet, output)
{
    private async Task<IActorRef> Started(int perListener)
    {
        var timeline = Sys.ActorOf(HandshakeTimeline.Props(perListener));
        // Answered only once PreStart has subscribed it: nothing published after this is missed.
        await timeline.Ask<Timeline>(new GetTimeline([]), TimeSpan.FromSeconds(5));
        return timeline;
    }

    private static HandshakeTransitioned Step(string connection, HandshakeStep from, HandshakeStep to, double elapsedMs, HandshakeRole role = HandshakeRole.Responder) =>
        new(connection, role, from, to, TimeSpan.FromMilliseconds(elapsedMs));

    [Fact]
    public async Task HandshakeTimeline_must_record_each_step_with_its_duration_and_for_a_refusal_the_deciding_step_code_peer_and_revocation_source()
    {
        var timeline = await Started(50);
        var revocation = new RevocationAnswer(RevocationStatus.Good, "OCSP http://127.0.0.1:9/ocsp", "good", null);

        Sys.EventStream.Publish(Step("1414-1", HandshakeStep.CertificateExchange, HandshakeStep.ChainValidation, 2));
        Sys.EventStream.Publish(Step("1414-1", HandshakeStep.ChainValidation, HandshakeStep.Revocation, 5));
        Sys.EventStream.Publish(Step("1414-1", HandshakeStep.Revocation, HandshakeStep.PeerFilter, 9) with { Revocation = revocation });
        Sys.EventStream.Publish(new ChannelSslError("1414-1", HandshakeRole.Responder, SslReasonQualifier.PeerNameError, "AMQ9636E", "SSLPEER does not match", "CN=<script>alert(1)</script>,O=Example"));
        Sys.EventStream.Publish(Step("1414-1", HandshakeStep.PeerFilter, HandshakeStep.Rejected, 10));
        Sys.EventStream.Publish(Step("1414-2", HandshakeStep.CertificateExchange, HandshakeStep.ChainValidation, 1));
        Sys.EventStream.Publish(Step("1414-2", HandshakeStep.ChainValidation, HandshakeStep.Revocation, 2));
        Sys.EventStream.Publish(Step("1414-2", HandshakeStep.Revocation, HandshakeStep.PeerFilter, 3));
        Sys.EventStream.Publish(Step("1414-2", HandshakeStep.PeerFilter, HandshakeStep.Accepted, 4));
        var shown = (await timeline.Ask<Timeline>(new GetTimeline(["1414"]), TimeSpan.FromSeconds(5))).Listeners["1414"];

        Assert.Equal(["1414-2", "1414-1"], shown.Select(h => h.ConnectionId));
        var refused = shown[1];
        Assert.Equal(
            [(HandshakeStep.CertificateExchange, 2.0), (HandshakeStep.ChainValidation, 3.0), (HandshakeStep.Revocation, 4.0), (HandshakeStep.PeerFilter, 1.0)],
            refused.Steps.Select(s => (s.Step, Math.Round(s.Milliseconds, 3))));
        Assert.Equal((HandshakeStep.Rejected, HandshakeStep.PeerFilter, "AMQ9636E"), (refused.Outcome, refused.DecidingStep, refused.AmqCode));
        Assert.Equal("CN=<script>alert(1)</script>,O=Example", refused.Peer);
        Assert.Equal(("OCSP http://127.0.0.1:9/ocsp", "Good"), (refused.RevocationSource, refused.RevocationStatus));
        Assert.Equal((HandshakeStep.Accepted, (HandshakeStep?)null, (string?)null), (shown[0].Outcome, shown[0].DecidingStep, shown[0].AmqCode));
    }

    [Fact]
    public async Task HandshakeTimeline_must_keep_the_last_connections_per_listener_bounded_texts_and_no_initiator()
    {
        var timeline = await Started(3);

        for (var i = 1; i <= 5; i++)
        {
            Sys.EventStream.Publish(Step($"1414-{i}", HandshakeStep.CertificateExchange, HandshakeStep.ChainValidation, 1));
        }

        Sys.EventStream.Publish(new ChannelSslError("2000-1", HandshakeRole.Responder, SslReasonQualifier.HandshakeError, "AMQ9665E", new string('x', 100_000), new string('y', 100_000)));
        Sys.EventStream.Publish(Step("2000-1", HandshakeStep.CertificateExchange, HandshakeStep.Rejected, 7));
        Sys.EventStream.Publish(Step("QM1.TO.QM2-1", HandshakeStep.CertificateExchange, HandshakeStep.ChainValidation, 1, HandshakeRole.Initiator));
        var shown = (await timeline.Ask<Timeline>(new GetTimeline(["1414", "2000", "QM1.TO.QM2", "9999"]), TimeSpan.FromSeconds(5))).Listeners;

        Assert.Equal(["1414-5", "1414-4", "1414-3"], shown["1414"].Select(h => h.ConnectionId));
        Assert.All(shown["1414"], h => Assert.Null(h.Outcome));
        var flood = Assert.Single(shown["2000"]);
        Assert.Equal((HandshakeStep.Rejected, HandshakeStep.CertificateExchange, "AMQ9665E"), (flood.Outcome, flood.DecidingStep, flood.AmqCode));
        Assert.InRange(flood.Detail!.Length, 1, MaxText + 1);
        Assert.InRange(flood.Peer!.Length, 1, MaxText + 1);
        Assert.Equal(["1414", "2000"], shown.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task HandshakeTimeline_must_keep_a_bounded_number_of_listeners_dropping_the_one_heard_from_least_recently()
    {
        var timeline = await Started(1);

        for (var port = 1; port <= MaxListeners + 1; port++)
        {
            Sys.EventStream.Publish(Step($"{port}-1", HandshakeStep.CertificateExchange, HandshakeStep.ChainValidation, 1));
        }

        var all = Enumerable.Range(1, MaxListeners + 1).Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var shown = (await timeline.Ask<Timeline>(new GetTimeline(all), TimeSpan.FromSeconds(5))).Listeners;

        Assert.Equal(MaxListeners, shown.Count);
        Assert.False(shown.ContainsKey("1"));
        Assert.True(shown.ContainsKey((MaxListeners + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData("1414-7", "1414")]
    [InlineData("1414", null)]
    [InlineData("-3", null)]
    public void ListenerOf_must_read_the_port_from_the_listener_actors_connection_identifier(string connection, string? listener) =>
        Assert.Equal(listener, ListenerOf(connection));
}
