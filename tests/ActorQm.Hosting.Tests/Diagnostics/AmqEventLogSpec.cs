using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using ActorQm.Channels;
using ActorQm.Cli.Dev;
using ActorQm.Hosting.Diagnostics;
using ActorQm.QueueManagers;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorQm.Hosting.Tests.Diagnostics;

/// <summary>
/// Refused handshakes and failed channels reach the host's logging as structured messages whose event id is the AMQ
/// number: through a real listener, with a client certificate from a CA the queue manager does not trust.
/// </summary>
public sealed partial class AmqEventLogSpec(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit(nameof(AmqEventLogSpec), output)
{
    private static readonly DevPki Pki = DevPki.Create();
    private static readonly DevPki Stranger = DevPki.Create();
    private readonly string _dir = Directory.CreateTempSubdirectory("actorqm-event-log-").FullName;
    private readonly Collector _logs = new();

    public sealed class LoggedQm;

    protected override void ConfigureServices(HostBuilderContext context, IServiceCollection services) =>
        services.AddLogging(logging => logging.AddProvider(_logs));

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider)
    {
        var key = Path.Combine(_dir, "key");
        Pki.WriteKeyRepository(key, "ibmwebspheremqlogged.qm", Pki.Issue($"CN=LOGGED.QM,{DevPki.Organisation}"));
        builder.WithActorQm(qm => qm.AddQueueManager<LoggedQm>("LOGGED.QM").WithStorePath(Path.Combine(_dir, "logged.db"))
            .WithMqsc($"""
                ALTER QMGR SSLKEYR('{key}')
                DEFINE LISTENER(L1) TRPTYPE(TCP) PORT(0) IPADDR('127.0.0.1') CONTROL(QMGR)
                """));
    }

    [Fact]
    public async Task Refused_handshake_must_be_logged_with_its_AMQ_number_as_event_id_and_the_peer_as_fields()
    {
        var cancel = TestContext.Current.CancellationToken;
        var qm = await ActorRegistry.GetAsync<LoggedQm>(cancel);
        var port = await ListenerPort(qm);
        var intruder = Stranger.Issue($"CN=intruder,{DevPki.Organisation}");
        using var withKey = X509CertificateLoader.LoadPkcs12(intruder.Certificate.CopyWithPrivateKey(intruder.Key).Export(X509ContentType.Pkcs12), null);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, cancel);
        var local = (IPEndPoint)tcp.Client.LocalEndPoint!;
        await using var tls = new SslStream(tcp.GetStream());
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "LOGGED.QM",
                ClientCertificateContext = SslStreamCertificateContext.Create(withKey, [Stranger.Intermediate.Certificate], offline: true),
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            }, cancel);
            // TLS 1.3 ends the client's part before the server has looked at its certificate: the refusal comes with the first read.
            _ = await tls.ReadAsync(new byte[16], cancel);
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
        {
        }

        var entry = await Eventually(() => _logs.Entries.FirstOrDefault(e => e.Category == AmqEventLogs.TlsCategory));
        Assert.Equal((9633, "AMQ9633E", LogLevel.Error), (entry.Id.Id, entry.Id.Name, entry.Level));
        Assert.Equal("AMQ9633E", entry.Fields["AmqCode"]);
        Assert.Equal("ChainValidation", entry.Fields["Step"]?.ToString());
        Assert.Equal(2393, entry.Fields["Reason"]);
        Assert.Equal($"127.0.0.1({local.Port})", entry.Fields["ConnectionName"]);
        Assert.Equal(intruder.Certificate.SerialNumber, entry.Fields["PeerSerial"]);
        Assert.Contains("CN=intruder", (string)entry.Fields["PeerDn"]!, StringComparison.Ordinal);
        Assert.Contains(Stranger.Intermediate.Certificate.GetNameInfo(X509NameType.SimpleName, false), (string)entry.Fields["PeerIssuer"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failed_channel_and_unlisted_code_must_keep_their_AMQ_code()
    {
        await ActorRegistry.GetAsync<LoggedQm>(TestContext.Current.CancellationToken);
        Sys.EventStream.Publish(new Channel.ChannelFailed("LOGGED.QM", "TO.PARTNER", "AMQ9526E", "sequence numbers differ"));
        Sys.EventStream.Publish(new ActorQm.Tls.Handshake.ChannelSslError("c-1", ActorQm.Tls.HandshakeRole.Responder, ActorQm.Tls.Handshake.SslReasonQualifier.HandshakeError, "AMQ9876E", "not in the table", null));

        var ended = await Eventually(() => _logs.Entries.FirstOrDefault(e => e.Category == AmqEventLogs.ChannelsCategory));
        Assert.Equal((9526, "AMQ9526E", "TO.PARTNER", "LOGGED.QM"), (ended.Id.Id, ended.Id.Name, ended.Fields["Channel"], ended.Fields["QMgr"]));
        var other = await Eventually(() => _logs.Entries.FirstOrDefault(e => e.Fields.GetValueOrDefault("AmqCode") as string == "AMQ9876E"));
        Assert.Equal(9999, other.Id.Id);
    }

    /// <summary>Every AMQ code the handshake can refuse with has a message of its own (else it would be logged as AMQ9999).</summary>
    [Fact]
    public void Event_log_must_name_every_code_the_handshake_refuses_with()
    {
        var root = RepositoryRoot();
        var raised = new[] { "src/ActorQm/Tls", "src/ActorQm.Security/Tls" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(root, d), "*.cs", SearchOption.AllDirectories))
            .SelectMany(f => AmqCode().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .Where(c => c.EndsWith('E'))
            .ToHashSet();

        Assert.Empty(raised.Except(AmqEventLog.RefusalCodes));
    }

    [GeneratedRegex("\"(AMQ9[0-9]{3}[EWI])\"")]
    private static partial Regex AmqCode();

    private static async Task<int> ListenerPort(IActorRef qm)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var listeners = await qm.Ask<Channel.Listeners>(QueueManager.GetListeners.Instance, TimeSpan.FromSeconds(5));
            if (listeners.Bound.TryGetValue("L1", out var bound))
            {
                return bound.Port;
            }

            Assert.True(DateTime.UtcNow < deadline, "listener L1 did not start");
            await Task.Delay(50);
        }
    }

    private static async Task<T> Eventually<T>(Func<T?> find) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (find() is { } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, "the expected log entry did not arrive within 20 s");
            await Task.Delay(50);
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ActorQm.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"ActorQm.sln is not above {AppContext.BaseDirectory}");
    }

    private sealed record Entry(string Category, LogLevel Level, EventId Id, IReadOnlyDictionary<string, object?> Fields);

    /// <summary>The host's logging, kept: what a log pipeline would receive, with the structured fields.</summary>
    private sealed class Collector : ILoggerProvider
    {
        private readonly ConcurrentQueue<Entry> _entries = new();

        public IEnumerable<Entry> Entries => _entries;

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<Entry> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (state is IReadOnlyList<KeyValuePair<string, object?>> fields)
                {
                    entries.Enqueue(new Entry(category, logLevel, eventId, fields.ToDictionary(f => f.Key, f => f.Value)));
                }
            }
        }
    }
}
