using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using ActorQm.Tls;

namespace ActorQm.Cli;

/// <summary>
/// <c>actorqm keys list DIR</c>: what a key repository holds, as <c>runmqakm -cert -list</c> shows it:
/// each personal certificate under its label, then the trusted CA certificates, with subject,
/// issuer, serial and validity; expired or soon-expiring ones are marked. Nothing secret is printed.
/// Exit 0; 20 when the repository cannot be opened (missing folder, wrong password).
/// </summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var dir = new Argument<DirectoryInfo>("dir") { Description = "The key repository folder (what SSLKEYR or --key-repository names)" };
        var soon = new Option<int>("--expiry-days") { Description = "Mark certificates that expire within this many days", DefaultValueFactory = _ => 30 };
        var list = new Command("list", "List the labels and CA certificates of a key repository (runmqakm -cert -list)\n\nExample:\n  actorqm keys list pki/QM1/key") { dir, soon };
        list.SetAction((parse, _) => CliRunner.Run(() => Task.FromResult(List(parse.GetValue(dir)!, parse.GetValue(soon)))));
        return new Command("keys", "Key repository tools") { list };
    }

    private static int List(DirectoryInfo dir, int expiryDays)
    {
        KeyRepository repository;
        try
        {
            repository = KeyRepository.Open(dir.FullName);
        }
        catch (KeyRepositoryException e)
        {
            throw new CliException(e.Message, 20);
        }

        var now = DateTimeOffset.UtcNow;
        Console.WriteLine($"Key repository {repository.Path}");
        Console.WriteLine(repository.Labels.Count == 0 ? "Personal certificates: none" : "Personal certificates (label: certificate):");
        foreach (var label in repository.Labels.Order(StringComparer.Ordinal))
        {
            Print("  " + label, repository.Credentials(label).Certificate!, now, expiryDays);
        }

        var trusted = repository.TrustAnchors.Concat(repository.Intermediates).ToList();
        Console.WriteLine(trusted.Count == 0 ? "Trusted CA certificates: none" : "Trusted CA certificates:");
        foreach (var ca in trusted)
        {
            Print(ca.IsSelfIssued() ? "  root" : "  intermediate", ca, now, expiryDays);
        }

        return 0;
    }

    private static void Print(string heading, X509Certificate2 certificate, DateTimeOffset now, int expiryDays)
    {
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        var mark = notAfter < now ? "  EXPIRED"
            : new DateTimeOffset(certificate.NotBefore.ToUniversalTime()) > now ? "  NOT YET VALID"
            : notAfter < now.AddDays(expiryDays) ? $"  expires within {expiryDays} days"
            : string.Empty;
        Console.WriteLine($"{heading}: {certificate.Subject}");
        Console.WriteLine($"      issuer  {certificate.Issuer}");
        Console.WriteLine($"      serial  {certificate.SerialNumber}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"      valid   {certificate.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm} to {notAfter:yyyy-MM-dd HH:mm} UTC{mark}"));
    }
}
