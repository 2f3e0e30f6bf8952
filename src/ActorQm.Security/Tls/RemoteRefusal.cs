using ActorQm.Protocol;

namespace ActorQm.Tls;

/// <summary>
/// What the calling end reports when its partner refused it with a status frame: the code MQ gives at that end for the
/// partner's refusal (docs/tls.md, "Which end reports what"), with the partner's own code and reason kept in the text.
/// </summary>
public static class RemoteRefusal
{
    /// <summary>The initiator's code for a refusal the responder reported as <paramref name="responderCode"/>; other codes are the responder's own.</summary>
    public static string CodeAtInitiator(string responderCode) => responderCode switch
    {
        // A CipherSpec the remote end would not run with: "remote CipherSpec error".
        "AMQ9631E" or "AMQ9616E" or "AMQ9635E" or "AMQ9639E" => "AMQ9641E",
        // The remote end required a certificate this end did not send.
        "AMQ9637E" => "AMQ9642E",
        // This end's certificate does not match the remote end's SSLPEER: "remote SSL peer name error".
        "AMQ9636E" => "AMQ9643E",
        // The remote end rejected this end's certificate (chain or revocation): "SSL connection closed by remote end".
        "AMQ9633E" or "AMQ9716E" => "AMQ9665E",
        _ => responderCode,
    };

    /// <summary>The line the initiator throws: its own code first, then <see cref="Detail"/>.</summary>
    public static string Describe(StatusSegment status, string what) => $"{CodeAtInitiator(status.AmqCode)}: {Detail(status, what)}";

    /// <summary>Why, as the initiator reports it: the remote end's code where it differs from this end's, its reason and MQRC.</summary>
    public static string Detail(StatusSegment status, string what) =>
        $"the remote end refused {what}: {(CodeAtInitiator(status.AmqCode) == status.AmqCode ? string.Empty : status.AmqCode + ": ")}{status.Text} (MQRC {status.Reason})";
}
