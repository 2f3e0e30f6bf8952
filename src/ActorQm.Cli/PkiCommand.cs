using System.CommandLine;
using ActorQm.Cli.Dev;

namespace ActorQm.Cli;

/// <summary>
/// <c>actorqm pki create DIR</c>: a development PKI in DIR: a root and an intermediate CA, a key
/// repository per queue manager and per client (MQ's default labels), PEM copies and an empty CRL
/// of the root. For trying ActorQm out; never for production (its keys are unprotected files).
/// </summary>
internal static class PkiCommand
{
    public static Command Create()
    {
        var dir = new Argument<DirectoryInfo>("dir") { Description = "Folder to create the PKI in (must not exist or be empty)" };
        var qmgrs = new Option<string[]>("--qmgr") { Description = "Queue managers to issue certificates for (repeatable)", DefaultValueFactory = _ => ["QM1", "QM2"], AllowMultipleArgumentsPerToken = true };
        var clients = new Option<string[]>("--client") { Description = "Client users to issue certificates for (repeatable)", DefaultValueFactory = _ => ["app"], AllowMultipleArgumentsPerToken = true };
        var create = new Command("create", "Create a throwaway development PKI (development only)\n\nExample:\n  actorqm pki create pki --qmgr QM1 --qmgr QM2 --client app --client admin") { dir, qmgrs, clients };
        create.SetAction((parse, _) => CliRunner.Run(() => Run(parse.GetValue(dir)!, parse.GetValue(qmgrs)!, parse.GetValue(clients)!)));
        return new Command("pki", "Development PKI for trying ActorQm out") { create };
    }

    private static async Task<int> Run(DirectoryInfo dir, string[] qmgrs, string[] clients)
    {
        if (dir.Exists && dir.EnumerateFileSystemInfos().Any())
        {
            throw new CliException($"{dir.FullName} is not empty: a PKI is only created in a new folder", 20);
        }

        dir.Create();
        var pki = DevPki.Create();
        DevPki.WritePem(dir.FullName, "root", pki.Root);
        DevPki.WritePem(dir.FullName, "intermediate", pki.Intermediate);
        await File.WriteAllBytesAsync(Path.Combine(dir.FullName, "root.crl"), DevPki.Crl(pki.Root));
        await File.WriteAllBytesAsync(Path.Combine(dir.FullName, "intermediate.crl"), DevPki.Crl(pki.Intermediate));
        Console.WriteLine($"Development PKI in {dir.FullName} (NOT for production: private keys are plain files):");
        Console.WriteLine($"  root CA          {pki.Root.Certificate.Subject}  root.pem, root.crl");
        Console.WriteLine($"  intermediate CA  {pki.Intermediate.Certificate.Subject}  intermediate.pem, intermediate.crl");
        foreach (var (name, label, folder) in qmgrs.Select(q => (q, "ibmwebspheremq" + q.ToLowerInvariant(), Path.Combine(dir.FullName, q))).Concat(
            clients.Select(c => (c, "ibmwebspheremq" + c.ToLowerInvariant(), Path.Combine(dir.FullName, "clients", c)))))
        {
            Directory.CreateDirectory(folder);
            var issued = pki.Issue($"CN={name},{DevPki.Organisation}");
            pki.WriteKeyRepository(Path.Combine(folder, "key"), label, issued);
            DevPki.WritePem(folder, name, issued);
            Console.WriteLine($"  {name,-16} CN={name},{DevPki.Organisation}  key repository {Path.Combine(folder, "key")} (label {label})");
        }

        Console.WriteLine("Use: ALTER QMGR SSLKEYR('<folder>/key'); clients: --key-repository <folder>/key --cert-label <label>.");
        Console.WriteLine("A client runs as the MCAUSER its channel or CHLAUTH record gives it, with only the authority granted to it (docs/security.md), e.g.:");
        Console.WriteLine("  DEFINE CHANNEL('APP.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(ANY_TLS12_OR_HIGHER) SSLCAUTH(REQUIRED) SSLPEER('CN=app') MCAUSER('app')");
        Console.WriteLine("  SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('app') AUTHADD(CONNECT,INQ)");
        Console.WriteLine("  SET AUTHREC PROFILE('APP.**') OBJTYPE(QUEUE) PRINCIPAL('app') AUTHADD(PUT,GET,BROWSE,INQ)");
        return 0;
    }
}
