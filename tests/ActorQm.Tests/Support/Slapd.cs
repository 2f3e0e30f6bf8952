using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ActorQm.Tests.Support;

/// <summary>
/// A real OpenLDAP server (Debian's slapd) of the test's own: its own config and database in a
/// temporary folder, listening on 127.0.0.1 only, stopped and removed when disposed.
/// </summary>
internal sealed class Slapd : IDisposable
{
    public const string Suffix = "o=Example";
    private const string Admin = "cn=admin,o=Example";
    private const string Secret = "slapd-test-secret";
    private readonly TempDirectory _dir = new();
    private readonly Process _process;

    public Slapd()
    {
        Port = Loopback.FreePort();
        Directory.CreateDirectory(_dir.File("db"));
        File.WriteAllText(_dir.File("slapd.conf"), $"""
            include /etc/ldap/schema/core.schema
            include /etc/ldap/schema/cosine.schema
            include /etc/ldap/schema/inetorgperson.schema
            pidfile {_dir.File("slapd.pid")}
            argsfile {_dir.File("slapd.args")}
            modulepath /usr/lib/ldap
            moduleload back_mdb
            database mdb
            maxsize 10485760
            suffix "{Suffix}"
            rootdn "{Admin}"
            rootpw {Secret}
            directory {_dir.File("db")}
            """);
        var info = new ProcessStartInfo("/usr/sbin/slapd") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-f", _dir.File("slapd.conf"), "-h", $"ldap://127.0.0.1:{Port}/", "-d", "0" })
        {
            info.ArgumentList.Add(a);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException("slapd did not start");
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        WaitUntilListening();
        Add($"dn: {Suffix}\nobjectClass: organization\no: Example\n");
    }

    public int Port { get; }

    /// <summary>Publishes <paramref name="crl"/> on the entry named like its issuer (GSKit's lookup).</summary>
    public void PublishCrl(string issuerDn, string cn, byte[] crl) =>
        Add($"dn: {issuerDn}\nobjectClass: cRLDistributionPoint\ncn: {cn}\ncertificateRevocationList;binary:: {Convert.ToBase64String(crl)}\n");

    private void Add(string ldif)
    {
        var file = _dir.File(Guid.NewGuid().ToString("N") + ".ldif");
        File.WriteAllText(file, ldif);
        var info = new ProcessStartInfo("ldapadd") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-x", "-H", $"ldap://127.0.0.1:{Port}", "-D", Admin, "-w", Secret, "-f", file })
        {
            info.ArgumentList.Add(a);
        }

        using var add = Process.Start(info)!;
        var error = add.StandardError.ReadToEnd();
        add.StandardOutput.ReadToEnd();
        add.WaitForExit(20_000);
        if (add.ExitCode != 0)
        {
            throw new InvalidOperationException($"ldapadd failed ({add.ExitCode}): {error}");
        }
    }

    private void WaitUntilListening()
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"slapd exited with {_process.ExitCode}");
            }

            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }

        throw new TimeoutException("slapd did not listen within 20 s");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
        _dir.Dispose();
    }
}
