using Akka.Actor;

namespace ActorQm.Tls;

/// <summary>
/// The actor system's one <see cref="RevokedCertificates"/> list: a certificate added to it is published on the
/// EventStream as <see cref="RevokedCertificates.CertificateRevoked"/>, which ends the running connections that use it.
/// </summary>
public sealed class RevokedCertificatesExtension : IExtension
{
    private RevokedCertificatesExtension(ActorSystem system) => List = new RevokedCertificates(revoked => system.EventStream.Publish(revoked));

    /// <summary>The list.</summary>
    public RevokedCertificates List { get; }

    /// <summary>The list of <paramref name="system"/>.</summary>
    public static RevokedCertificates For(ActorSystem system) => system.WithExtension<RevokedCertificatesExtension, Id>().List;

    private sealed class Id : ExtensionIdProvider<RevokedCertificatesExtension>
    {
        public override RevokedCertificatesExtension CreateExtension(ExtendedActorSystem system) => new(system);
    }
}
