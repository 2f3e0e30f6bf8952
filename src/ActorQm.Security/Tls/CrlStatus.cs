using System.Security.Cryptography.X509Certificates;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace ActorQm.Tls;

/// <summary>
/// What all the CRLs of one issuer say about one certificate (RFC 5280 §6.3.3), with no "first usable CRL
/// wins": any usable CRL in scope that lists the certificate makes it REVOKED (unless a delta that updates
/// that very CRL releases a certificateHold); it is GOOD only when usable complete CRLs in scope cover every
/// reason; anything else is undetermined. See docs/tls.md, Revocation.
/// </summary>
internal static class CrlStatus
{
    /// <summary>REVOKED or GOOD from <paramref name="candidates"/>; null (with the reasons added to <paramref name="unknowns"/>) when they cannot say.</summary>
    internal static RevocationAnswer? Decide(IEnumerable<CrlDocument> candidates, BcCertificate bcIssuer, X509Certificate2 issuer, X509Certificate2 subject,
        Org.BouncyCastle.Math.BigInteger serial, string role, DateTimeOffset now, List<RevocationAnswer> unknowns)
    {
        var complete = new List<CrlDocument>();
        var deltas = new List<CrlDocument>();
        foreach (var crl in candidates.Where(c => c.IsFrom(bcIssuer)).Distinct())
        {
            if ((crl.UsableFor(bcIssuer, issuer, now) ?? crl.OutOfScopeFor(subject, bcIssuer.SubjectDN)) is { } problem)
            {
                unknowns.Add(new RevocationAnswer(RevocationStatus.Unknown, "CRL " + crl.Source, problem, subject));
                continue;
            }

            (crl.IsDelta ? deltas : complete).Add(crl);
        }

        RevocationAnswer Revoked(CrlDocument crl, string what) =>
            new(RevocationStatus.Revoked, "CRL " + crl.Source, $"the {role} is revoked (serial {subject.SerialNumber} is on the {what} of '{issuer.Subject}' from {crl.Source})", subject);

        var covered = 0;
        foreach (var crl in complete)
        {
            var delta = deltas.Where(d => d.Updates(crl)).MaxBy(d => d.Number);
            var onDelta = delta?.ReasonsFor(serial, bcIssuer.SubjectDN) ?? [];
            if (onDelta.Any(r => r != CrlDocument.RemoveFromCrl))
            {
                return Revoked(delta!, "delta CRL");
            }

            var onBase = crl.ReasonsFor(serial, bcIssuer.SubjectDN);
            var released = onBase.Count > 0 && onBase.All(r => r == CrlDocument.CertificateHold) && onDelta.Contains(CrlDocument.RemoveFromCrl);
            if (onBase.Count > 0 && !released)
            {
                return Revoked(crl, "CRL");
            }

            covered |= crl.Reasons;
        }

        // A signed, current delta that lists the certificate is the issuer saying it is revoked, base or not.
        if (deltas.FirstOrDefault(d => d.ReasonsFor(serial, bcIssuer.SubjectDN).Any(r => r != CrlDocument.RemoveFromCrl)) is { } listing)
        {
            return Revoked(listing, "delta CRL");
        }

        if (complete.Count == 0)
        {
            foreach (var delta in deltas)
            {
                unknowns.Add(new RevocationAnswer(RevocationStatus.Unknown, "CRL " + delta.Source, $"CRL from {delta.Source} is a delta CRL, never used without its complete CRL", subject));
            }

            return null;
        }

        if ((covered & CrlDocument.AllReasons) != CrlDocument.AllReasons)
        {
            unknowns.Add(new RevocationAnswer(RevocationStatus.Unknown, string.Join(", ", complete.Select(c => "CRL " + c.Source)),
                $"the CRLs of '{issuer.Subject}' that apply to the {role} cover only some reasons (onlySomeReasons), so they cannot say it is good", subject));
            return null;
        }

        return new RevocationAnswer(RevocationStatus.Good, string.Join(", ", complete.Select(c => "CRL " + c.Source)), "not on the CRL", subject);
    }
}
