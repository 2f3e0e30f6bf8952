using ActorQm.Cluster;
using ActorQm.Tls;
using Akka.Hosting;
using Akka.Remote.Hosting;

namespace ActorQm.Hosting;

/// <summary>Akka.Remote between the service's nodes over mutual TLS with ActorQm's key repository and checks.</summary>
public static class ActorQmRemotingExtensions
{
    /// <summary>
    /// Remoting on <paramref name="hostname"/>:<paramref name="port"/> with TLS required both ways:
    /// this node presents the certificate <paramref name="label"/> of the key repository at
    /// <paramref name="keyRepository"/>, and accepts a peer node only if ActorQm's validator accepts
    /// its chain against the same repository and its DN matches <paramref name="nodeFilter"/>.
    /// </summary>
    public static AkkaConfigurationBuilder WithActorQmRemoting(this AkkaConfigurationBuilder builder, string hostname, int port, string keyRepository, string label, string? nodeFilter = null)
    {
        var repository = KeyRepository.Open(keyRepository);
        var credentials = repository.Credentials(label);
        var filter = nodeFilter is { Length: > 0 } ? DistinguishedNameFilter.Parse(nodeFilter) : null;
        return builder.WithRemoting(new RemoteOptions
        {
            HostName = hostname,
            Port = port,
            EnableSsl = true,
            Ssl = new SslOptions
            {
                X509Certificate = NodeTls.Certificate(repository, label),
                SuppressValidation = false,
                RequireMutualAuthentication = true,
                ValidateCertificateHostname = false,
                CustomValidator = NodeTls.Validator(credentials, filter),
            },
        });
    }
}
