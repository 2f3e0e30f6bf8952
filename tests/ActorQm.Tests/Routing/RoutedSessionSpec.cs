using System.Net.Security;
using System.Security.Authentication;
using ActorQm.Channels;
using ActorQm.Mqsc;
using ActorQm.Objects;
using ActorQm.Protocol;
using ActorQm.Routing;
using ActorQm.Tests.Support;
using ActorQm.Tls;

namespace ActorQm.Tests.Routing;

/// <summary>
/// A routed listener hands the queue manager the handshake's session as <see cref="RoutedConnection.Session"/>: it must keep
/// which channel's revocation policy the handshake applied, or a caller that names a channel with a lenient policy of its own
/// in its TLS server name and a channel using the queue manager's strict policy in its initial data is refused by a local
/// listener (AMQ9716E, ChannelRevocationSpec) but let in through a routed one (found by review; it was).
/// </summary>
public sealed class RoutedSessionSpec
{
    private const string Suite = "TLS_AES_128_GCM_SHA256";

    [Fact]
    public void RoutedSession_must_keep_the_channel_whose_revocation_policy_the_handshake_used()
    {
        var catalog = new ObjectCatalog("QM2");
        foreach (var mqsc in new[]
                 {
                     $"DEFINE CHANNEL('APP.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH({Suite}) SSLCAUTH(REQUIRED) MCAUSER('app')",
                     $"DEFINE CHANNEL('WEAK.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH({Suite}) SSLCAUTH(REQUIRED) MCAUSER('app')",
                 })
        {
            catalog.Apply(new ObjectDefined(MqscExecutor.Restore(mqsc, "QM2"), null));
        }

        var certificate = TestPki.Leaf(TestPki.Shared.Ca, "CN=APP1,O=Example").WithKey();
        // What the accepting node's handshake produced: server name WEAK.SVRCONN, so WEAK.SVRCONN's lenient policy checked it.
        var handshake = new Handshake.PeerSession("5000-1", PeerIdentity.Of(certificate), SslProtocols.Tls13, TlsCipherSuite.TLS_AES_128_GCM_SHA256, Suite, null, TimeSpan.Zero)
        {
            Chain = [certificate],
            RevocationChannel = "WEAK.SVRCONN",
        };
        var hello = new InitialData("APP.SVRCONN", ChannelType.Client, "QM2", 1, 4_194_304, 300, 999_999_999, Suite, 0, 0, "review");
        string[] own = ["WEAK.SVRCONN"];

        // A local listener: refused, the weak policy is not lent to APP.SVRCONN.
        var local = InboundChannels.Check(catalog, hello, handshake, allowTls13: true, ownRevocation: own);
        Assert.Equal("AMQ9716E", Assert.IsType<InboundChannels.Refused>(local).AmqCode);

        // The same handshake through a routed listener (ConnectionRouterActor -> Route -> RoutedTransportActor).
        var routed = RoutedConnection.Session.From(handshake).ToPeerSession();
        var answer = InboundChannels.Check(catalog, hello, routed, allowTls13: true, ownRevocation: own);
        Assert.True(answer is InboundChannels.Refused { AmqCode: "AMQ9716E" },
            $"routed: RevocationChannel={routed.RevocationChannel ?? "null"}, InboundChannels.Check answered {answer}");
    }
}
