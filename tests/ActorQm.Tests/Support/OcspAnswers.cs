using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1.Oiw;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Ocsp;
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
    public static byte[] Good(byte[] request, TestPki.Issued issuer, DateTime thisUpdate, DateTime nextUpdate)
    {
        var req = new OcspReq(request);
        var id = req.GetRequestList()[0].GetCertID();
        var nonce = req.GetExtensionValue(OcspObjectIdentifiers.PkixOcspNonce);
        var issuerCert = new X509CertificateParser().ReadCertificate(issuer.Certificate.RawData);
        var key = PrivateKeyFactory.CreateKey(issuer.Key.ExportPkcs8PrivateKey());
        var generator = new BasicOcspRespGenerator(new RespID(issuerCert.SubjectDN));
        generator.AddResponse(id, CertificateStatus.Good, thisUpdate, nextUpdate, null);
        generator.SetResponseExtensions(new X509Extensions(new Dictionary<DerObjectIdentifier, Org.BouncyCastle.Asn1.X509.X509Extension>
        {
            [OcspObjectIdentifiers.PkixOcspNonce] = new(false, nonce),
        }));
        var basic = generator.Generate("SHA256WITHECDSA", key, null, DateTime.UtcNow);
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
