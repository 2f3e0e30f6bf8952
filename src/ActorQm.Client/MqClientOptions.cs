using ActorQm.Tls;

namespace ActorQm.Client;

/// <summary>
/// How to reach a queue manager, as an MQ client's channel definition and mqclient.ini SSL stanza
/// have it: CONNAME, SVRCONN channel, queue manager name, key repository and certificate label,
/// CipherSpec, the SSLPEER the queue manager's certificate must match, and revocation checking.
/// </summary>
public sealed record MqClientOptions
{
    public required string Host { get; init; }

    public int Port { get; init; } = 1414;

    /// <summary>
    /// Further addresses of a CONNAME list, tried in order when <see cref="Host"/>(<see cref="Port"/>)
    /// does not answer: a queue manager that may run on any node of a cluster.
    /// </summary>
    public IReadOnlyList<(string Host, int Port)> AlternateAddresses { get; init; } = [];

    /// <summary>The server-connection channel (SVRCONN) to connect through.</summary>
    public required string Channel { get; init; }

    /// <summary>Blank: whichever queue manager listens there; otherwise it must be this one (MQRC 2058).</summary>
    public string QueueManager { get; init; } = string.Empty;

    public string ApplicationName { get; init; } = AppDomain.CurrentDomain.FriendlyName;

    /// <summary>The key repository folder (personal/, trusted/, stash), as SSLKEYR / MQSSLKEYR.</summary>
    public required string KeyRepository { get; init; }

    /// <summary>Null: ibmwebspheremq + the user name in lower case (MQ's default); no such certificate: connect without one.</summary>
    public string? CertificateLabel { get; init; }

    /// <summary>SSLCIPH of the client channel: a CipherSpec or an alias such as ANY_TLS12_OR_HIGHER.</summary>
    public string CipherSpec { get; init; } = "ANY_TLS12_OR_HIGHER";

    /// <summary>SSLPEER: the queue manager's certificate DN must match this filter; null: any DN the chain vouches for.</summary>
    public string? SslPeer { get; init; }

    /// <summary>OCSP/CRL checking of the queue manager's certificate; none by default, as with no AUTHINFO.</summary>
    public RevocationSettings Revocation { get; init; } = RevocationSettings.None;

    /// <summary>How long a call may take beyond its own wait interval.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The local address to connect from (MQ's LOCLADDR of a CLNTCONN channel); null: the system's choice.</summary>
    public System.Net.IPAddress? LocalAddress { get; init; }
}
