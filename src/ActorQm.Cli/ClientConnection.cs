using System.CommandLine;
using ActorQm.Client;
using ActorQm.Configuration;
using ActorQm.Tls;
using Akka.Configuration;

namespace ActorQm.Cli;

/// <summary>
/// The connection options every client command shares, as an MQ client takes them: CONNAME,
/// channel, queue manager, key repository, certificate label, CipherSpec, SSLPEER of the queue
/// manager and revocation checks; or a HOCON file (<c>--client-config</c>) with the same names.
/// </summary>
internal sealed class ClientConnection
{
    public Option<string?> Conn { get; } = new("--conn") { Description = "CONNAME of the queue manager: host(port), or a list host(port),host(port) tried in order" };
    public Option<string?> Channel { get; } = new("--channel") { Description = "Server-connection channel (SVRCONN)" };
    public Option<string?> QMgr { get; } = new("--qmgr", "-m") { Description = "Queue manager name (checked against the one that answers)" };
    public Option<string?> KeyRepository { get; } = new("--key-repository") { Description = "Key repository folder (personal/, trusted/, stash), like MQSSLKEYR" };
    public Option<string?> CertLabel { get; } = new("--cert-label") { Description = "Label of the client certificate (default ibmwebspheremq<user>)" };
    public Option<string?> Cipher { get; } = new("--cipher") { Description = "CipherSpec or alias (default ANY_TLS12_OR_HIGHER)" };
    public Option<string?> SslPeer { get; } = new("--sslpeer") { Description = "SSLPEER the queue manager's certificate must match" };
    public Option<string?> Ocsp { get; } = new("--ocsp") { Description = "OCSP responder URL (http) for the queue manager's certificate chain" };
    public Option<bool> OcspAia { get; } = new("--ocsp-aia") { Description = "Ask the responders named in the certificates' AIA" };
    public Option<FileInfo[]> Crl { get; } = new("--crl") { Description = "CRL files (repeatable)", AllowMultipleArgumentsPerToken = true };
    public Option<string> Unknown { get; } = new("--unknown") { Description = "When revocation status is unknown: required, warn or optional", DefaultValueFactory = _ => "required" };
    public Option<FileInfo?> ClientConfig { get; } = new("--client-config") { Description = "HOCON file with actorqm.client { conn, channel, qmgr, key-repository, cert-label, cipher, sslpeer, ocsp, crl-files }" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Conn, Channel, QMgr, KeyRepository, CertLabel, Cipher, SslPeer, Ocsp, OcspAia, Crl, Unknown, ClientConfig })
        {
            command.Options.Add(option);
        }
    }

    public bool Given(ParseResult parse) => parse.GetValue(Conn) is not null || parse.GetValue(ClientConfig) is not null;

    /// <summary>
    /// A CONNAME as MQ writes it: host(port), or a comma-separated list. host:port (as other tools write
    /// it) would be read as a host name with MQ's default port, so it is refused with the MQ spelling.
    /// </summary>
    internal static IReadOnlyList<(string Host, int Port)> ConName(string conn)
    {
        foreach (var part in conn.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = part.LastIndexOf(':');
            if (!part.Contains('(', StringComparison.Ordinal) && colon > 0 && part.IndexOf(':', StringComparison.Ordinal) == colon
                && int.TryParse(part.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port))
            {
                throw new CliException($"--conn {part}: a CONNAME is host(port), as in MQ: give {part[..colon]}({port})", 20);
            }
        }

        try
        {
            return Channels.ChannelDefinition.ParseConNameList(conn);
        }
        catch (FormatException e)
        {
            throw new CliException($"--conn {conn}: {e.Message}", 20);
        }
    }

    /// <param name="defaultChannel">The channel when none is given (remote MQSC: SYSTEM.ADMIN.SVRCONN).</param>
    public async Task<MqClient> ConnectAsync(ParseResult parse, string applicationName, string? defaultChannel = null)
    {
        var file = parse.GetValue(ClientConfig);
        var config = file is null ? Config.Empty : ConfigurationFactory.ParseString(await File.ReadAllTextAsync(file.FullName)).GetConfig("actorqm.client") ?? Config.Empty;
        var baseDir = file?.DirectoryName;
        string? Pick(Option<string?> option, string key) => parse.GetValue(option) ?? (config.HasPath(key) ? config.GetString(key) : null);
        var conn = Pick(Conn, "conn") ?? throw new CliException("--conn host(port) is required (or conn in --client-config)", 20);
        var addresses = ConName(conn);
        var (host, port) = addresses.Count > 0 ? addresses[0] : throw new CliException("--conn is empty", 20);
        var keys = Pick(KeyRepository, "key-repository") ?? throw new CliException("--key-repository is required (or key-repository in --client-config)", 20);
        var unknown = parse.GetValue(Unknown) switch
        {
            "warn" => UnknownRevocationPolicy.Warn,
            "optional" => UnknownRevocationPolicy.Optional,
            "required" => UnknownRevocationPolicy.Required,
            var other => throw new CliException($"--unknown must be required, warn or optional, not '{other}'", 20),
        };
        var crlFiles = parse.GetValue(Crl)?.Select(f => f.FullName).ToList() ?? [];
        if (config.HasPath("crl-files"))
        {
            crlFiles.AddRange(config.GetStringList("crl-files").Select(f => Resolve(f, baseDir)));
        }

        var ocsp = OcspUrl.Parse(parse.GetValue(Ocsp), "--ocsp") ?? OcspUrl.Parse(config.HasPath("ocsp") ? config.GetString("ocsp") : null, "ocsp in --client-config");
        var revocation = new RevocationSettings(crlFiles.Select(LoadCrl).ToList(), Unknown: unknown, OcspResponder: ocsp,
            OcspCheckExtensions: parse.GetValue(OcspAia), Ocsp: ocsp is not null || parse.GetValue(OcspAia) ? new OcspClient() : null);
        return await MqClient.ConnectAsync(new MqClientOptions
        {
            Host = host,
            Port = port,
            AlternateAddresses = addresses.Skip(1).ToList(),
            Channel = Pick(Channel, "channel") ?? defaultChannel ?? throw new CliException("--channel is required (or channel in --client-config)", 20),
            QueueManager = Pick(QMgr, "qmgr") ?? string.Empty,
            KeyRepository = Resolve(keys, baseDir),
            CertificateLabel = Pick(CertLabel, "cert-label"),
            CipherSpec = Pick(Cipher, "cipher") ?? "ANY_TLS12_OR_HIGHER",
            SslPeer = Pick(SslPeer, "sslpeer"),
            Revocation = revocation,
            ApplicationName = applicationName,
        });
    }

    private static CrlDocument LoadCrl(string path)
    {
        try
        {
            return CrlDocument.Load(path);
        }
        catch (Exception e) when (e is FormatException or IOException)
        {
            throw new CliException(e.Message, 20);
        }
    }

    private static string Resolve(string path, string? baseDir) =>
        Path.IsPathRooted(path) || baseDir is null ? path : Path.GetFullPath(Path.Combine(baseDir, path));
}
