using System.Collections.Concurrent;
using ActorQm.Client;
using ActorQm.Messages;

namespace ActorQm.Tests.Support;

/// <summary>
/// Real MQ clients (mutual TLS through the routed listeners of every node, a CONNAME list each
/// starting at another node) putting numbered persistent messages to the cluster queue on QMA, at
/// most one put per client every <c>pace</c>, until stopped. A put that fails is tried again with the
/// same payload on a new connection when needed, and the failure is recorded by what it tells about
/// the message (docs/reliability.md, "Cluster chaos", how messages are counted):
/// <list type="bullet">
/// <item>refused with a reason code (the queue manager answered and did not put it), or the
/// connection could not be made: not stored;</item>
/// <item>the connection broke or no answer came in time: unknown, the message may have been stored;
/// such a payload may be found once more for each unknown attempt.</item>
/// </list>
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class ChaosClients : IAsyncDisposable
{
    private readonly ChaosCluster _cluster;
    private readonly TimeSpan _pace;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly ConcurrentDictionary<string, MqId> _acknowledged = new();
    private readonly ConcurrentDictionary<string, int> _unknown = new();
    private readonly ConcurrentQueue<(int Client, TimeSpan Started, TimeSpan Done)> _acks = new();
    private readonly ConcurrentDictionary<MqReason, int> _refused = new();

    public ChaosClients(ChaosCluster cluster, int clients, TimeSpan pace)
    {
        _cluster = cluster;
        _pace = pace;
        for (var c = 0; c < clients; c++)
        {
            var client = c;
            _loops.Add(Task.Run(() => Loop(client)));
        }
    }

    public int Clients => _loops.Count;

    /// <summary>Acknowledged payloads and the MsgId each was stored with.</summary>
    public IReadOnlyDictionary<string, MqId> Acknowledged => _acknowledged;

    /// <summary>Payloads with attempts of unknown outcome, and how many.</summary>
    public IReadOnlyDictionary<string, int> Unknown => _unknown;

    /// <summary>Puts the queue manager answered with a reason code, by reason (none was stored).</summary>
    public IReadOnlyDictionary<MqReason, int> Refused => _refused;

    /// <summary>The first acknowledged put that began at or after <paramref name="since"/>, per client (null: none yet).</summary>
    public TimeSpan?[] FirstPutsSince(TimeSpan since)
    {
        var first = new TimeSpan?[Clients];
        foreach (var (client, started, done) in _acks)
        {
            if (started >= since && (first[client] is not { } t || done < t))
            {
                first[client] = done;
            }
        }

        return first;
    }

    private MqClientOptions Options(int client)
    {
        var addresses = _cluster.Conname("QMA", client);
        return new MqClientOptions
        {
            Host = addresses[0].Host, Port = addresses[0].Port, AlternateAddresses = addresses[1..], Channel = ChaosCluster.Svrconn, QueueManager = "QMA",
            KeyRepository = _cluster.ClientKeyRepository, CertificateLabel = "app", CipherSpec = "TLS_AES_128_GCM_SHA256", SslPeer = "CN=QMA,OU=MQ,O=Example",
            ApplicationName = $"chaos-{client}", Timeout = TimeSpan.FromSeconds(10),
        };
    }

    private async Task Loop(int client)
    {
        MqClient? connection = null;
        var n = 0;
        while (!_stop.IsCancellationRequested)
        {
            var payload = $"c{client}-{n}";
            var started = _cluster.Now;
            var sent = false;
            try
            {
                connection ??= await MqClient.ConnectAsync(Options(client));
                sent = true;
                var stored = await connection.PutAsync(ChaosCluster.Queue, TestMessages.Text(payload, Persistence.Persistent));
                _acknowledged[payload] = stored.MsgId;
                _acks.Enqueue((client, started, _cluster.Now));
                n++;
            }
            catch (MqException e) when (sent && e.Reason != MqReason.ConnectionBroken)
            {
                _refused.AddOrUpdate(e.Reason, 1, (_, r) => r + 1);
            }
            catch (Exception)
            {
                // A broken connection, no answer in time, a failed connect or handshake: a sent put's outcome is unknown.
                if (sent)
                {
                    _unknown.AddOrUpdate(payload, 1, (_, u) => u + 1);
                }

                if (connection is not null)
                {
                    await connection.DisposeAsync();
                    connection = null;
                }
            }

            try
            {
                await Task.Delay(_pace, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        if (connection is not null)
        {
            await connection.DisposeAsync();
        }
    }

    /// <summary>Lets each client finish the put it is in (it is acknowledged or counted unknown) and ends them.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }
}
