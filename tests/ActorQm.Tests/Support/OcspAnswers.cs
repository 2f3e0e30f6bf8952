using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Ocsp;
using Org.BouncyCastle.Asn1.Oiw;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Ocsp;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace ActorQm.Tests.Support;

/// <summary>
/// OCSP messages `openssl ocsp` cannot produce: answers with a chosen validity (stale, future), signed
/// correctly with the issuer's key and the request's nonce, and requests of the test's own (to capture
/// an answer for a later replay). Built with BouncyCastle.
/// </summary>
internal static class OcspAnswers
{
    /// <summary>The serial number a request asks about.</summary>
    public static Org.BouncyCastle.Math.BigInteger SerialOf(byte[] request) => new OcspReq(request).GetRequestList()[0].GetCertID().SerialNumber;

    public static Org.BouncyCastle.Math.BigInteger SerialOf(X509Certificate2 certificate) => new(certificate.SerialNumber, 16);

    /// <summary>A GOOD answer to <paramref name="request"/> by <paramref name="issuer"/>, valid from <paramref name="thisUpdate"/> to <paramref name="nextUpdate"/>.</summary>
    public static byte[] Good(byte[] request, TestPki.Issued issuer, DateTime thisUpdate, DateTime nextUpdate) =>
        Signed(request, issuer, thisUpdate, nextUpdate, [new Entry(CertificateStatus.Good)]);

    /// <summary>What a nonce extension of an answer holds: the request's, none, or another request's.</summary>
    public enum Nonce
    {
        Echo,
        None,
        Other,
    }

    /// <summary>One SingleResponse: <paramref name="Status"/> (null: good) for the request's certificate, or for <paramref name="Serial"/> of the same issuer.</summary>
    public sealed record Entry(CertificateStatus? Status, Org.BouncyCastle.Math.BigInteger? Serial = null);

    public static readonly Entry IsGood = new(CertificateStatus.Good);

    public static Entry IsRevoked => new(Revoked);

    public static CertificateStatus Revoked => new RevokedStatus(DateTime.UtcNow.AddHours(-1), CrlReason.KeyCompromise);

    public static CertificateStatus Unknown => new UnknownStatus();

    /// <summary>
    /// An answer to <paramref name="request"/> signed by <paramref name="signer"/> (the issuer, or a delegated responder whose
    /// certificate it carries) listing <paramref name="singles"/>, all valid from <paramref name="thisUpdate"/> to
    /// <paramref name="nextUpdate"/>; <paramref name="padding"/> bytes in a non-critical private extension make it as large as wanted.
    /// </summary>
    public static byte[] Signed(byte[] request, TestPki.Issued signer, DateTime thisUpdate, DateTime? nextUpdate, IEnumerable<Entry> singles,
        Nonce nonce = Nonce.Echo, DateTime? producedAt = null, bool delegated = false, int padding = 0)
    {
        var id = new OcspReq(request).GetRequestList()[0].GetCertID();
        var signerCert = new X509CertificateParser().ReadCertificate(signer.Certificate.RawData);
        var key = PrivateKeyFactory.CreateKey(signer.Key.ExportPkcs8PrivateKey());
        var generator = new BasicOcspRespGenerator(new RespID(signerCert.SubjectDN));
        foreach (var single in singles)
        {
            var about = single.Serial is { } serial ? CertificateID.DeriveCertificateID(id, serial) : id;
            generator.AddResponse(about, single.Status, thisUpdate, nextUpdate, null);
        }

        var extensions = new Dictionary<DerObjectIdentifier, Org.BouncyCastle.Asn1.X509.X509Extension>();
        if (nonce != Nonce.None)
        {
            extensions[OcspObjectIdentifiers.PkixOcspNonce] = nonce == Nonce.Echo
                ? new(false, new OcspReq(request).GetExtensionValue(OcspObjectIdentifiers.PkixOcspNonce))
                : new(false, new DerOctetString(new DerOctetString(new byte[16])));
        }

        if (padding > 0)
        {
            extensions[new DerObjectIdentifier("1.3.6.1.4.1.55555.1")] = new(false, new DerOctetString(new byte[padding]));
        }

        if (extensions.Count > 0)
        {
            generator.SetResponseExtensions(new X509Extensions(extensions));
        }

        var basic = generator.Generate("SHA256WITHECDSA", key, delegated ? [signerCert] : null, producedAt ?? DateTime.UtcNow);
        return new OCSPRespGenerator().Generate(OCSPRespGenerator.Successful, basic).GetEncoded();
    }

    /// <summary>A request for <paramref name="certificate"/> with a fresh random nonce, as a relying party would send.</summary>
    public static byte[] Request(X509Certificate2 certificate, TestPki.Issued issuer)
    {
        var id = new CertificateID(new AlgorithmIdentifier(OiwObjectIdentifiers.IdSha1, DerNull.Instance), new X509CertificateParser().ReadCertificate(issuer.Certificate.RawData), SerialOf(certificate));
        var generator = new OcspReqGenerator();
        generator.AddRequest(id);
        generator.SetRequestExtensions(new X509Extensions(new Dictionary<DerObjectIdentifier, Org.BouncyCastle.Asn1.X509.X509Extension>
        {
            [OcspObjectIdentifiers.PkixOcspNonce] = new(false, new DerOctetString(new DerOctetString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)))),
        }));
        return generator.Generate().GetEncoded();
    }
}
