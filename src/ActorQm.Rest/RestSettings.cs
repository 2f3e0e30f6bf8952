using System.Net;
using ActorQm.Configuration;
using ActorQm.Tls;
using Akka.Configuration;

namespace ActorQm.Rest;

/// <summary>
/// <c>actorqm.rest</c>: where MQ's REST APIs listen and which client certificates they accept (docs/rest.md).
/// Built once from HOCON with the embedded reference.conf as fallback.
/// </summary>
/// <param name="Listen">The HTTPS endpoint (loopback or a chosen address; port 0 picks a free one); null: no REST API.</param>
/// <param name="SslPeer">SSLPEER-style filter every client certificate's subject must match; null: any the chain vouches for.</param>
/// <param name="CipherSpec">What the endpoint negotiates (an alias such as ANY_TLS12_OR_HIGHER, or one CipherSpec).</param>
/// <param name="ConsoleHandshakes">Connections the web console's handshake timeline keeps per listener (1 to 1,000).</param>
public sealed record RestSettings(IPEndPoint? Listen, DistinguishedNameFilter? SslPeer, CipherSpecSelection CipherSpec, int ConsoleHandshakes = 50)
{
    /// <summary>Reads <c>actorqm.rest</c>; an address, filter, CipherSpec or bound that is not one fails with the key's name.</summary>
    public static RestSettings From(Config config)
    {
        var rest = config.WithFallback(ActorQmSettings.Reference).GetConfig("actorqm.rest");
        var listen = rest.GetString("listen", string.Empty);
        IPEndPoint? endpoint = null;
        if (listen.Length > 0 && !IPEndPoint.TryParse(listen, out endpoint))
        {
            throw new ArgumentException($"actorqm.rest.listen: '{listen}' is not an address and port such as \"127.0.0.1:9443\"");
        }

        var peer = rest.GetString("sslpeer", string.Empty);
        DistinguishedNameFilter? filter = null;
        if (peer.Length > 0 && !DistinguishedNameFilter.TryParse(peer, out filter, out var error))
        {
            throw new ArgumentException($"actorqm.rest.sslpeer: {error}");
        }

        var cipher = rest.GetString("cipher-spec", "ANY_TLS12_OR_HIGHER");
        var handshakes = rest.GetInt("console.handshakes", 50);
        if (handshakes is < 1 or > 1000)
        {
            throw new ArgumentException($"actorqm.rest.console.handshakes: {handshakes} is not between 1 and 1000");
        }

        return new RestSettings(endpoint, filter, CipherSpecs.Select(cipher) ?? throw new ArgumentException($"actorqm.rest.cipher-spec: '{cipher}' is not a CipherSpec ActorQm supports"), handshakes);
    }
}
