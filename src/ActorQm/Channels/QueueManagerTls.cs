using ActorQm.Configuration;
using ActorQm.Objects;
using ActorQm.Tls;

namespace ActorQm.Channels;

/// <summary>
/// The TLS material a queue manager's handshakes use: its key repository (QMGR SSLKEYR), its
/// revocation sources (SSLCRLNL, HOCON) with their caches. Loaded at start and again by
/// REFRESH SECURITY TYPE(SSL); between refreshes one version is used (docs/tls.md).
/// </summary>
public sealed class QueueManagerTls(TlsSettings settings, RevokedCertificates? revoked = null)
{
    private TlsSettings _settings = settings;
    private OcspClient _ocsp = OcspFor(settings);
    private CrlCache _crls = new(maxBytes: settings.CrlMaxBytes);

    /// <summary>Null when SSLKEYR is blank or could not be opened (see <see cref="Problems"/>).</summary>
    public KeyRepository? KeyRepository { get; private set; }

    public RevocationSettings Revocation { get; private set; } = RevocationSettings.None;

    /// <summary>Beyond MQ: the policies of channels that have their own (tls.channel-revocation), by channel name.</summary>
    public IReadOnlyDictionary<string, RevocationSettings> ChannelRevocation { get; private set; } = new Dictionary<string, RevocationSettings>();

    /// <summary>What a channel checks its partner's certificate with: its own policy, else the queue manager's.</summary>
    public RevocationSettings RevocationFor(string channel) => ChannelRevocation.GetValueOrDefault(channel) ?? Revocation;

    /// <summary>What could not be loaded, with AMQ codes, for the error log and DISPLAY.</summary>
    public IReadOnlyList<string> Problems { get; private set; } = [];

    public TlsSettings Settings => _settings;

    public int CachedOcspAnswers => _ocsp.Count;

    public int CachedCrls => _crls.Count;

    /// <summary>Peer chains validated under the key repository in use (docs/tls.md, "Validated-chain cache").</summary>
    public int CachedChains => KeyRepository?.ValidatedChains.Count ?? 0;

    /// <summary>
    /// (Re)loads everything from the catalog and empties the revocation and validated-chain caches; with <paramref name="reloaded"/>, the HOCON
    /// tls settings read again by REFRESH SECURITY TYPE(SSL) apply from now on (docs/tls.md).
    /// </summary>
    public void Load(ObjectCatalog catalog, TlsSettings? reloaded = null)
    {
        var problems = new List<string>();
        if (reloaded is not null)
        {
            _settings = reloaded;
            _ocsp = OcspFor(reloaded);
            _crls = new CrlCache(maxBytes: reloaded.CrlMaxBytes);
        }

        _ocsp.Flush();
        _crls.Flush();
        var path = catalog.QMgr.AsQMgr().KeyRepository;
        // The repository read again brings an empty cache of validated chains; credentials still held from this one lose theirs too.
        KeyRepository?.ValidatedChains.Clear();
        KeyRepository = null;
        if (path.Length > 0)
        {
            try
            {
                KeyRepository = KeyRepository.Open(path);
                problems.AddRange(KeyRepository.ExpiryWarnings(DateTimeOffset.UtcNow, _settings.ExpiryWarning));
            }
            catch (KeyRepositoryException e)
            {
                problems.Add(e.Message);
            }
        }

        try
        {
            var built = RevocationSources.FromCatalog(catalog, _settings, _ocsp, _crls);
            Revocation = built.Settings with { Revoked = revoked };
            problems.AddRange(built.Warnings);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or IOException)
        {
            // Refuse rather than check less: with sources that cannot be read, every status is unknown.
            Revocation = RevocationSettings.Unusable(e.Message, _settings.OcspAuthentication) with { Revoked = revoked };
            problems.Add(e.Message);
        }

        var channels = new Dictionary<string, RevocationSettings>(StringComparer.Ordinal);
        foreach (var (channel, own) in _settings.ChannelRevocation)
        {
            try
            {
                channels[channel] = RevocationSources.ForChannel(catalog, channel, own, _settings, _ocsp, _crls).Settings with { Revoked = revoked };
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or IOException)
            {
                // As for the queue manager's: sources that cannot be read make every status unknown for this channel.
                channels[channel] = RevocationSettings.Unusable(e.Message, own.OcspAuthentication) with { Revoked = revoked };
                problems.Add(e.Message);
            }
        }

        ChannelRevocation = channels;
        Problems = problems;
    }

    /// <summary>The credentials of a channel: its CERTLABL, else the queue manager's, else MQ's default label.</summary>
    public TlsCredentials CredentialsFor(ObjectCatalog catalog, MqObject? channel) =>
        Repository(catalog).Credentials(LabelFor(catalog, channel)) with { OcspStapling = _settings.OcspStapling };

    /// <summary>
    /// What an initiating channel (sender, requester) presents. A label the key repository does not hold means no certificate
    /// is sent, as in MQ: the responder decides (SSLCAUTH(OPTIONAL) without SSLPEER accepts; otherwise AMQ9637E there).
    /// <c>Missing</c> then says which label was looked for and which exist, for the log.
    /// </summary>
    public (TlsCredentials Credentials, string? Missing) InitiatorCredentialsFor(ObjectCatalog catalog, MqObject channel)
    {
        var repository = Repository(catalog);
        var label = LabelFor(catalog, channel);
        return repository.Labels.Contains(label)
            ? (repository.Credentials(label), null)
            : (repository.TrustOnly(), $"AMQ9642W: channel {channel.Name}: no personal certificate labelled '{label}' in key repository {repository.Path} (labels: {string.Join(", ", repository.Labels.Order(StringComparer.Ordinal))}); it connects without one and the remote end decides (its SSLCAUTH and SSLPEER)");
    }

    private static OcspClient OcspFor(TlsSettings settings) =>
        new() { Nonce = settings.OcspNonce, NonceLessMaxAge = settings.OcspNonceLessMaxAge, MaxResponseBytes = settings.OcspMaxBytes };

    private KeyRepository Repository(ObjectCatalog catalog) =>
        KeyRepository ?? throw new KeyRepositoryException("AMQ9657E", Problems.FirstOrDefault() ?? $"queue manager {catalog.QMgrName} has no key repository (ALTER QMGR SSLKEYR)");

    /// <summary>A channel's CERTLABL, else the queue manager's, else MQ's default label (ibmwebspheremq + the queue manager's name).</summary>
    private static string LabelFor(ObjectCatalog catalog, MqObject? channel) =>
        channel?.AsChannel().CertLabel is { Length: > 0 } own ? own
            : catalog.QMgr.AsQMgr().CertLabel is { Length: > 0 } qm ? qm
            : KeyRepository.DefaultQueueManagerLabel(catalog.QMgrName);

    /// <summary>What every listener's handshakes use: the queue manager's own certificate, revocation sources and CipherSpecs.</summary>
    /// <returns>The material, and why there is no certificate to present when the key repository cannot provide one.</returns>
    public (Channels.Channel.ResponderTls Tls, string? Problem) Responder(ObjectCatalog catalog)
    {
        TlsCredentials? credentials = null;
        string? problem = null;
        try
        {
            credentials = KeyRepository is null ? null : CredentialsFor(catalog, null);
        }
        catch (KeyRepositoryException e)
        {
            problem = e.Message;
        }

        var responder = new Channels.Channel.ResponderTls(credentials, Revocation, _settings.AllowedCipherSpecs, _settings.AllowTls13, TransportSettings(catalog).Accepting())
        {
            ChannelRevocation = ChannelRevocation,
            AcceptInTheClear = _settings.DevelopmentChannelsInTheClear,
        };
        return (WithChannels(responder, catalog, problems: null), problem);
    }

    /// <summary>
    /// The responder's choices per channel an initiator may name in its server name (as MQ does): the CipherSpec it prefers
    /// (a channel's SSLCIPH that is one CipherSpec, not an alias) and the certificate it presents (a channel's own CERTLABL).
    /// A CERTLABL the key repository does not hold is left out (the queue manager's certificate is presented) and reported in
    /// <paramref name="problems"/>.
    /// </summary>
    public Channels.Channel.ResponderTls WithChannels(Channels.Channel.ResponderTls responder, ObjectCatalog catalog, List<string>? problems)
    {
        var specs = new Dictionary<string, CipherSpec>(StringComparer.Ordinal);
        var credentials = new Dictionary<string, TlsCredentials>(StringComparer.Ordinal);
        foreach (var channel in catalog.All("CHANNEL").Select(c => c.AsChannel()).Where(c => c.Responds))
        {
            if (CipherSpecs.Select(channel.SslCipher, _settings.AllowTls13) is { Specific: { } spec })
            {
                specs[channel.Name] = spec;
            }

            if (channel.CertLabel.Length == 0 || KeyRepository is not { } repository)
            {
                continue;
            }

            if (repository.Labels.Contains(channel.CertLabel))
            {
                credentials[channel.Name] = repository.Credentials(channel.CertLabel) with { OcspStapling = _settings.OcspStapling };
            }
            else
            {
                problems?.Add($"AMQ9642W: channel {channel.Name}: CERTLABL('{channel.CertLabel}') is not in key repository {repository.Path}; the queue manager's certificate is presented instead");
            }
        }

        return responder with { ChannelCipherSpecs = specs, ChannelCredentials = credentials };
    }

    /// <summary>Frames may hold the largest message (QMGR MAXMSGL) with its transmission header; the send queue is bounded (tls.send-queue-max-bytes).</summary>
    public Transport.Settings TransportSettings(ObjectCatalog catalog) =>
        new(MaxFrameBytes: (int)catalog.QMgr.Number("MAXMSGL") + Messages.TransmissionHeader.MaxLength + 64, RevocationRecheck: _settings.RevocationRecheck,
            MaxSendQueueBytes: _settings.SendQueueMaxBytes, SlowReaderTimeout: _settings.SlowReaderTimeout);
}
