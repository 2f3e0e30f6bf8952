using System.Text.RegularExpressions;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace ActorQm.Configuration;

/// <summary>Typed form of the <c>actorqm</c> HOCON section, built once and validated.</summary>
public sealed record ActorQmSettings(IReadOnlyList<QueueManagerSettings> QueueManagers)
{
    /// <summary>The embedded reference.conf: every actorqm.* default.</summary>
    public static Config Reference { get; } = LoadReference();

    /// <summary>
    /// Builds the settings from <paramref name="config"/> (falling back to reference.conf).
    /// Relative paths are resolved against <paramref name="baseDirectory"/>. With <paramref name="reload"/> (where the
    /// configuration came from, read again), each queue manager's <see cref="QueueManagerSettings.ReloadTls"/> reads its
    /// tls settings from there at REFRESH SECURITY TYPE(SSL).
    /// </summary>
    public static ActorQmSettings Create(Config config, string? baseDirectory = null, Func<Config>? reload = null)
    {
        SettingsSchema.Validate(config);
        var full = config.WithFallback(Reference);
        var defaults = full.GetConfig("actorqm.queue-manager-defaults");
        var qms = new List<QueueManagerSettings>();
        var section = full.GetConfig("actorqm.queue-managers");
        if (section is not null && !section.IsEmpty)
        {
            foreach (var entry in section.AsEnumerable())
            {
                // Built from the value itself: a queue manager name may contain dots, which a path lookup would split.
                var own = new Config(new HoconRoot(entry.Value));
                var name = entry.Key.Trim('"');
                var settings = QueueManagerSettings.Create(name, own.WithFallback(defaults), baseDirectory);
                qms.Add(reload is null ? settings : settings with
                {
                    ReloadTls = () => Create(reload(), baseDirectory).QueueManagers.FirstOrDefault(q => q.Name == name)?.Tls
                        ?? throw new ConfigurationException($"actorqm.queue-managers no longer declares {name}."),
                });
            }
        }

        return new ActorQmSettings(qms);
    }

    /// <summary>Settings of one queue manager that uses only the defaults (and any overrides given).</summary>
    public static QueueManagerSettings ForQueueManager(string name, Config? overrides = null, string? baseDirectory = null)
    {
        var defaults = Reference.GetConfig("actorqm.queue-manager-defaults");
        return QueueManagerSettings.Create(name, overrides is null ? defaults : overrides.WithFallback(defaults), baseDirectory);
    }

    private static Config LoadReference()
    {
        using var stream = typeof(ActorQmSettings).Assembly.GetManifestResourceStream("ActorQm.reference.conf")
            ?? throw new InvalidOperationException("ActorQm.reference.conf is not embedded in the ActorQm assembly.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}

/// <summary>One queue manager's runtime settings.</summary>
public sealed record QueueManagerSettings(
    string Name,
    string? MqscFile,
    StoreSettings Store,
    int DefaultMaxDepth,
    int DefaultMaxMessageLength,
    int MaxMessageLength,
    TimeSpan ExpiryInterval,
    TlsSettings Tls)
{
    /// <summary>TLS listeners started with the queue manager, from HOCON (like DEFINE LISTENER ... CONTROL(QMGR)).</summary>
    public IReadOnlyList<ListenerSettings> Listeners { get; init; } = [];

    /// <summary>Group membership for authority records (security.groups).</summary>
    public SecuritySettings Security { get; init; } = SecuritySettings.Empty;

    /// <summary>Batches a sending channel may have sent and not yet confirmed (channels.pipeline-length; docs/protocol.md, "Pipelining").</summary>
    public int ChannelPipelineLength { get; init; } = 1;

    /// <summary>
    /// Reads this queue manager's tls settings again, for REFRESH SECURITY TYPE(SSL) (MQ re-reads its SSL stanza there);
    /// throws <see cref="ConfigurationException"/> naming the setting. Null: the settings given at start stay.
    /// </summary>
    public Func<TlsSettings>? ReloadTls { get; init; }

    private static readonly Regex NamePattern = new("^[A-Za-z0-9._/%]{1,48}$", RegexOptions.CultureInvariant);

    public static QueueManagerSettings Create(string name, Config config, string? baseDirectory)
    {
        if (!NamePattern.IsMatch(name))
        {
            throw new ConfigurationException($"actorqm: '{name}' is not a valid queue manager name (1-48 of A-Z a-z 0-9 . _ / %).");
        }

        var mqsc = config.GetString("mqsc-file", string.Empty);
        var storePath = config.GetString("store.path").Replace("{qm}", name, StringComparison.Ordinal);
        var synchronous = config.GetString("store.synchronous").ToUpperInvariant();
        if (synchronous is not ("FULL" or "EXTRA"))
        {
            throw new ConfigurationException($"actorqm.queue-managers.{name}.store.synchronous must be 'full' or 'extra', not '{synchronous.ToLowerInvariant()}': weaker modes lose acknowledged messages on power loss.");
        }

        var engine = config.GetString("store.engine", "sqlite").ToLowerInvariant() switch
        {
            "sqlite" => StoreEngine.Sqlite,
            "postgresql" => StoreEngine.PostgreSql,
            var other => throw new ConfigurationException($"actorqm.queue-managers.{name}.store.engine must be 'sqlite' or 'postgresql', not '{other}'."),
        };
        var connectionString = config.GetString("store.connection-string", string.Empty);
        if (engine == StoreEngine.PostgreSql && string.IsNullOrWhiteSpace(connectionString))
        {
            throw new ConfigurationException($"actorqm.queue-managers.{name}.store.connection-string is required with store.engine = postgresql.");
        }

        var store = new StoreSettings(
            Resolve(storePath, baseDirectory),
            synchronous,
            config.GetTimeSpan("store.busy-timeout"),
            Positive(config.GetInt("store.max-batch"), name, "store.max-batch"))
        {
            Engine = engine,
            ConnectionString = connectionString,
            LockWait = config.GetTimeSpan("store.lock-wait", TimeSpan.FromSeconds(30)),
        };
        var maxMsgl = Positive(config.GetInt("max-message-length"), name, "max-message-length");
        var listeners = new List<ListenerSettings>();
        if (config.HasPath("listeners") && config.GetConfig("listeners") is { } listenerConfig)
        {
            foreach (var key in listenerConfig.AsEnumerable().Select(e => e.Key.Split('.')[0]).Distinct(StringComparer.Ordinal))
            {
                listeners.Add(ListenerSettings.Create(name, key, listenerConfig.GetConfig(key)));
            }
        }

        return new QueueManagerSettings(
            name,
            string.IsNullOrWhiteSpace(mqsc) ? null : Resolve(mqsc, baseDirectory),
            store,
            Positive(config.GetInt("queue.max-depth"), name, "queue.max-depth"),
            Math.Min(maxMsgl, Positive(config.GetInt("queue.max-message-length"), name, "queue.max-message-length")),
            maxMsgl,
            config.GetTimeSpan("expiry-interval"),
            TlsSettings.Create(name, config.GetConfig("tls"), baseDirectory))
        {
            Listeners = listeners,
            Security = SecuritySettings.Create(name, config.GetConfig("security")),
            ChannelPipelineLength = config.GetInt("channels.pipeline-length") is >= 1 and <= Channels.ReceiverChannelActor.MaxPipelineLength and var pipeline
                ? pipeline
                : throw new ConfigurationException($"actorqm.queue-managers.{name}.channels.pipeline-length must be between 1 and {Channels.ReceiverChannelActor.MaxPipelineLength}, not {config.GetInt("channels.pipeline-length")}."),
        };
    }

    private static int Positive(int value, string qm, string key) =>
        value > 0 ? value : throw new ConfigurationException($"actorqm.queue-managers.{qm}.{key} must be positive, not {value}.");

    private static string Resolve(string path, string? baseDirectory) =>
        Path.IsPathRooted(path) || baseDirectory is null ? path : Path.GetFullPath(Path.Combine(baseDirectory, path));
}

/// <summary>A queue manager's TLS settings (qm.ini's SSL stanza in MQ).</summary>
public sealed record TlsSettings(
    bool OcspCheckExtensions,
    bool CdpCheckExtensions,
    Tls.UnknownRevocationPolicy OcspAuthentication,
    TimeSpan RevocationTimeout,
    IReadOnlyList<string> CrlFiles,
    bool AllowTls13,
    TimeSpan HandshakeStepTimeout,
    int MaxConcurrentHandshakes,
    int MaxQueuedHandshakes,
    TimeSpan ExpiryWarning,
    IReadOnlyList<Tls.CipherSpec>? AllowedCipherSpecs,
    TimeSpan? RevocationRecheck = null,
    bool OcspStapling = false)
{
    /// <summary>Beyond MQ: handshakes one remote address may have pending (waiting, queued or running) on a listener; more are refused before any TLS work.</summary>
    public int MaxHandshakesPerAddress { get; init; } = 64;

    /// <summary>Largest CRL read from a distribution point or LDAP server (tls.crl-max-bytes); a bigger one gives no answer.</summary>
    public long CrlMaxBytes { get; init; } = Tls.CrlCache.DefaultMaxBytes;

    /// <summary>Beyond MQ: how an OCSP answer proves it is fresh (tls.ocsp-nonce).</summary>
    public Tls.OcspNonce OcspNonce { get; init; } = Tls.OcspNonce.Preferred;

    /// <summary>Beyond MQ: how long after it was produced an OCSP answer without our nonce is believed; null: until its nextUpdate (tls.ocsp-nonce-less-max-age).</summary>
    public TimeSpan? OcspNonceLessMaxAge { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Beyond MQ: the largest OCSP answer read (tls.ocsp-max-bytes).</summary>
    public long OcspMaxBytes { get; init; } = 128 * 1024;

    /// <summary>Bytes a connection may have queued to send before it is served no more (tls.send-queue-max-bytes).</summary>
    public long SendQueueMaxBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>How long a peer over the send-queue bound may take no data before it is disconnected (tls.slow-reader-timeout).</summary>
    public TimeSpan SlowReaderTimeout { get; init; } = Tls.Transport.Settings.DefaultSlowReaderTimeout;

    /// <summary>Beyond MQ: channels with a revocation policy of their own, by channel name (tls.channel-revocation; docs/tls.md).</summary>
    public IReadOnlyDictionary<string, ChannelRevocationSettings> ChannelRevocation { get; init; } = new Dictionary<string, ChannelRevocationSettings>();

    /// <summary>
    /// Development and benchmarks only, off by default (tls.development-channels-in-the-clear; docs/tls.md, "Plaintext channels"):
    /// sender/receiver channels without SSLCIPH at both ends run without TLS, unencrypted and unauthenticated.
    /// </summary>
    public bool DevelopmentChannelsInTheClear { get; init; }

    public static TlsSettings Create(string qm, Config config, string? baseDirectory)
    {
        var authentication = UnknownPolicy(config.GetString("ocsp-authentication"), $"actorqm.queue-managers.{qm}.tls.ocsp-authentication");
        return new TlsSettings(
            config.GetBoolean("ocsp-check-extensions"),
            config.GetBoolean("cdp-check-extensions"),
            authentication,
            config.GetTimeSpan("revocation-timeout"),
            config.GetStringList("crl-files").Select(f => Path.IsPathRooted(f) || baseDirectory is null ? f : Path.GetFullPath(Path.Combine(baseDirectory, f))).ToList(),
            config.GetBoolean("allow-tls13"),
            config.GetTimeSpan("handshake-step-timeout"),
            config.GetInt("max-concurrent-handshakes"),
            config.GetInt("max-queued-handshakes"),
            config.GetTimeSpan("expiry-warning"),
            ReadAllowedCipherSpecs(qm, config.GetStringList("allowed-cipher-specs")),
            config.GetString("revocation-recheck-interval") is "off" or "" ? null : config.GetTimeSpan("revocation-recheck-interval"),
            config.GetBoolean("ocsp-stapling"))
        {
            MaxHandshakesPerAddress = config.GetInt("max-handshakes-per-address", 64) is var perAddress and > 0
                ? perAddress
                : throw new ConfigurationException($"actorqm.queue-managers.{qm}.tls.max-handshakes-per-address must be at least 1."),
            CrlMaxBytes = (config.HasPath("crl-max-bytes") ? config.GetByteSize("crl-max-bytes") : Tls.CrlCache.DefaultMaxBytes) is > 0 and var crlMax
                ? crlMax
                : throw new ConfigurationException($"actorqm.queue-managers.{qm}.tls.crl-max-bytes must be a positive size such as 32MiB."),
            OcspNonce = config.GetString("ocsp-nonce", "preferred").ToLowerInvariant() switch
            {
                "required" => Tls.OcspNonce.Required,
                "preferred" => Tls.OcspNonce.Preferred,
                "off" => Tls.OcspNonce.Off,
                var other => throw new ConfigurationException($"actorqm.queue-managers.{qm}.tls.ocsp-nonce must be required, preferred or off, not '{other}'."),
            },
            OcspNonceLessMaxAge = config.GetString("ocsp-nonce-less-max-age", "1h") is "off" or "" ? null : config.GetTimeSpan("ocsp-nonce-less-max-age", TimeSpan.FromHours(1)),
            SendQueueMaxBytes = config.GetByteSize("send-queue-max-bytes", 8L << 20) is { } sendQueue and >= 64 * 1024
                ? sendQueue
                : throw new ConfigurationException($"actorqm.queue-managers.{qm}.tls.send-queue-max-bytes must be at least 64k."),
            SlowReaderTimeout = config.GetTimeSpan("slow-reader-timeout", Tls.Transport.Settings.DefaultSlowReaderTimeout) is var slow && slow > TimeSpan.Zero
                ? slow
                : throw new ConfigurationException($"actorqm.queue-managers.{qm}.tls.slow-reader-timeout must be positive."),
            OcspMaxBytes = config.GetByteSize("ocsp-max-bytes", 128 * 1024) is { } max and >= 1024 and <= 16L << 20
                ? max
                : throw new ConfigurationException($"actorqm.queue-managers.{qm}.tls.ocsp-max-bytes must be between 1k and 16M."),
            ChannelRevocation = ReadChannelRevocation(qm, config, authentication),
            DevelopmentChannelsInTheClear = config.GetBoolean("development-channels-in-the-clear", false),
        };
    }

    private static Tls.UnknownRevocationPolicy UnknownPolicy(string value, string where) => value.ToLowerInvariant() switch
    {
        "required" => Tls.UnknownRevocationPolicy.Required,
        "warn" => Tls.UnknownRevocationPolicy.Warn,
        "optional" => Tls.UnknownRevocationPolicy.Optional,
        var other => throw new ConfigurationException($"{where} must be required, warn or optional, not '{other}'."),
    };

    private static Dictionary<string, ChannelRevocationSettings> ReadChannelRevocation(string qm, Config config, Tls.UnknownRevocationPolicy inherited)
    {
        var channels = new Dictionary<string, ChannelRevocationSettings>(StringComparer.Ordinal);
        // Channel names hold dots: the entries are read as the object's own keys, not as flattened paths.
        if (config.GetValue("channel-revocation") is not { } value || !value.IsObject())
        {
            return channels;
        }

        foreach (var (name, settings) in value.GetObject().Items)
        {
            var where = $"actorqm.queue-managers.{qm}.tls.channel-revocation.\"{name}\"";
            var entry = new Config(new Akka.Configuration.Hocon.HoconRoot(settings));
            var namelist = entry.GetString("crl-namelist", string.Empty);
            if (namelist.Length == 0)
            {
                throw new ConfigurationException($"{where}.crl-namelist must name the NAMELIST of AUTHINFO objects the channel uses.");
            }

            var unknown = entry.HasPath("ocsp-authentication") ? UnknownPolicy(entry.GetString("ocsp-authentication"), $"{where}.ocsp-authentication") : inherited;
            channels[name] = new ChannelRevocationSettings(namelist, unknown);
        }

        return channels;
    }

    private static IReadOnlyList<Tls.CipherSpec>? ReadAllowedCipherSpecs(string qm, IList<string> names)
    {
        if (names.Count == 0)
        {
            return null;
        }

        return names.Select(n => Tls.CipherSpecs.DefinitionError(n) is { } why || Tls.CipherSpecs.Find(n) is not { } spec
            ? throw new ConfigurationException($"actorqm.queue-managers.{qm}.tls.allowed-cipher-specs: {Tls.CipherSpecs.DefinitionError(n) ?? $"'{n}' is an alias, not a CipherSpec"}.")
            : spec).ToList();
    }
}

/// <summary>
/// Beyond MQ: a channel's own revocation policy (tls.channel-revocation): the NAMELIST of AUTHINFO objects it uses in place of
/// QMGR SSLCRLNL, and what an undeterminable status does for it (docs/tls.md, "Revocation per channel").
/// </summary>
public sealed record ChannelRevocationSettings(string CrlNamelist, Tls.UnknownRevocationPolicy OcspAuthentication);

/// <summary>A TLS listener declared in HOCON: <c>listeners { NAME { port = 1414, address = "0.0.0.0", backlog = 128 } }</c>.</summary>
public sealed record ListenerSettings(string Name, System.Net.IPAddress Address, int Port, int Backlog)
{
    public static ListenerSettings Create(string qm, string name, Config config)
    {
        var where = $"actorqm.queue-managers.{qm}.listeners.{name}";
        var port = config.GetInt("port", -1);
        if (port is < 0 or > 65535)
        {
            throw new ConfigurationException($"{where}.port must be 0-65535 (0: any free port).");
        }

        var text = config.GetString("address", "0.0.0.0");
        return System.Net.IPAddress.TryParse(text, out var address)
            ? new ListenerSettings(name.ToUpperInvariant(), address, port, config.GetInt("backlog", 128))
            : throw new ConfigurationException($"{where}.address '{text}' is not an IP address.");
    }
}

/// <summary>Where and how the queue manager's journal is kept.</summary>
public sealed record StoreSettings(string Path, string Synchronous, TimeSpan BusyTimeout, int MaxBatch)
{
    public StoreEngine Engine { get; init; } = StoreEngine.Sqlite;

    /// <summary>PostgreSQL only; may hold a password, so it is never logged or shown.</summary>
    public string ConnectionString { get; init; } = string.Empty;

    public TimeSpan LockWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Where the journal is, for messages: the file, or the server and database (never the password).</summary>
    public string Describe()
    {
        if (Engine != StoreEngine.PostgreSql)
        {
            return Path;
        }

        var builder = new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString);
        return $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}";
    }

    /// <summary>A connection string is a secret; it never reaches a log through ToString.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Engine = {Engine}, Location = {Describe()}, Synchronous = {Synchronous}, MaxBatch = {MaxBatch}");
        return true;
    }
}

public enum StoreEngine
{
    Sqlite,
    PostgreSql,
}
