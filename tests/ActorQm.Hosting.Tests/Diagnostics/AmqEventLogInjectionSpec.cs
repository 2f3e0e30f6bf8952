using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Hosting.Diagnostics;
using ActorQm.Tls;
using Microsoft.Extensions.Logging;

namespace ActorQm.Hosting.Tests.Diagnostics;

/// <summary>
/// A refused handshake's peer DN comes from a certificate any caller can make (it is logged *because* it was refused, e.g.
/// untrusted at ChainValidation): a CN holding a line break must not forge log lines in any text sink (console, file,
/// syslog). Found by review: the DN and the detail that repeats it were written as they came.
/// </summary>
public sealed class AmqEventLogInjectionSpec
{
    [Fact]
    public void Refused_handshake_message_must_not_carry_a_line_break_from_the_peers_certificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var name = new X500DistinguishedNameBuilder();
        name.AddOrganizationName("Example");
        name.AddCommonName("intruder\ninfo: ActorQm.Tls[5026]\n      AMQ5026I: forged line");
        var certificate = new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

        // As HandshakeActor.Reject publishes it for a certificate refused at ChainValidation (HandshakeVerifier.Describe).
        var subject = PeerName.Subject(certificate).ToString();
        var error = new Handshake.ChannelSslError("1414-1", HandshakeRole.Responder, default, "AMQ9633E",
            $"bad certificate from the remote end: Trust check failed [certificate from the initiating end: subject '{subject}', issuer '{PeerName.Issuer(certificate)}', serial {certificate.SerialNumber}]",
            subject)
        {
            Step = HandshakeStep.ChainValidation,
            PeerIssuer = PeerName.Issuer(certificate).ToString(),
            PeerSerial = certificate.SerialNumber,
            ConnectionName = "203.0.113.9(40000)",
        };

        var logger = new Rendering();
        AmqEventLog.Log(logger, error);

        var message = Assert.Single(logger.Messages);
        Assert.False(message.Contains('\n', StringComparison.Ordinal), "the rendered log message holds a line break from the peer's CN:\n" + message);
    }

    private sealed class Rendering : ILogger
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add(formatter(state, exception));
    }
}
