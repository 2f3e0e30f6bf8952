using ActorQm.Channels;
using ActorQm.Cli.Dev;
using ActorQm.Configuration;
using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.QueueManagers;
using ActorQm.Tls;
using Akka.Actor;
using Akka.Configuration;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace ActorQm.Bench;

/// <summary>
/// BenchmarkDotNet micro-benchmarks of the hot paths: the frame codec, the SSLPEER filter match, a
/// revocation answer from the OCSP cache, and a put + get through a queue actor. In-process, short runs.
/// </summary>
internal static class MicroBench
{
    public static void Run()
    {
        var config = ManualConfig.CreateEmpty()
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .AddLogger(ConsoleLogger.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default)
            .AddExporter(MarkdownExporter.GitHub)
            .WithArtifactsPath(Path.Combine("bench", "results", "micro"))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        BenchmarkRunner.Run([typeof(FrameCodecBenchmarks), typeof(PeerFilterBenchmarks), typeof(OcspCacheBenchmarks), typeof(QueueBenchmarks)], config);
    }
}

[MemoryDiagnoser]
public class FrameCodecBenchmarks
{
    private readonly byte[] _xmitMessage = new byte[1024 + 428];
    private byte[] _frame = [];

    [GlobalSetup]
    public void Setup()
    {
        Random.Shared.NextBytes(_xmitMessage);
        _frame = ChannelFrames.EncodeMessage(42, true, _xmitMessage);
    }

    [Benchmark]
    public byte[] EncodeMessage() => ChannelFrames.EncodeMessage(42, true, _xmitMessage);

    [Benchmark]
    public Segment? DecodeMessage() => ChannelFrames.Decode(_frame).Segment;
}

[MemoryDiagnoser]
public class PeerFilterBenchmarks
{
    private readonly DistinguishedNameFilter _filter = DistinguishedNameFilter.Parse("CN=QM*,OU=MQ,O=Example");
    private readonly PeerName _peer = PeerName.Parse("SERIALNUMBER=12:34,CN=QM2,OU=Payments,OU=MQ,O=Example,C=GB");

    [Benchmark]
    public bool Match() => _filter.Matches(_peer);

    [Benchmark]
    public DistinguishedNameFilter Parse() => DistinguishedNameFilter.Parse("CN=QM*,OU=MQ,O=Example");
}

[MemoryDiagnoser]
public class OcspCacheBenchmarks
{
    private DevPki _pki = null!;
    private DevOcspResponder _responder = null!;
    private readonly OcspClient _client = new();
    private System.Security.Cryptography.X509Certificates.X509Certificate2 _leaf = null!;

    [GlobalSetup]
    public void Setup()
    {
        _pki = DevPki.Create();
        _responder = new DevOcspResponder((_pki.Root.Certificate, _pki.Root.Key), (_pki.Intermediate.Certificate, _pki.Intermediate.Key));
        _leaf = _pki.Issue("CN=QM2,O=Example").Certificate;
        var first = Check().GetAwaiter().GetResult();
        if (first.Status != RevocationStatus.Good)
        {
            throw new InvalidOperationException("the OCSP cache was not warmed: " + first.Detail);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _responder.Dispose();

    /// <summary>Answered from the cache: the responder is not asked again while the answer is fresh.</summary>
    [Benchmark]
    public Task<RevocationAnswer> CachedAnswer() => Check();

    private Task<RevocationAnswer> Check() =>
        _client.CheckAsync(_responder.Url, _leaf, _pki.Intermediate.Certificate, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(5), CancellationToken.None);
}

[MemoryDiagnoser]
public class QueueBenchmarks
{
    private ActorSystem _system = null!;
    private string _dir = string.Empty;
    private OpenedQueue _output = null!;
    private OpenedQueue _input = null!;
    private readonly MqMessage _message = new(new MessageDescriptor { Persistence = Persistence.NotPersistent }, new byte[1024]);

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("actorqm-micro-").FullName;
        _system = ActorSystem.Create("micro", "akka.loglevel = ERROR");
        var qm = QueueManagerBootstrap.StartAsync(_system, ActorQmSettings.ForQueueManager("MICRO", ConfigurationFactory.ParseString($"store.path = \"{_dir}/MICRO.db\""))).GetAwaiter().GetResult();
        var connection = new QueueManagerConnection(qm.Actor, "micro");
        connection.RunMqscAsync("DEFINE QLOCAL(Q) MAXDEPTH(999999999)").GetAwaiter().GetResult();
        _output = connection.OpenAsync("Q", Mqi.QueueManagerApi.OpenPurpose.Output).GetAwaiter().GetResult();
        _input = connection.OpenAsync("Q", Mqi.QueueManagerApi.OpenPurpose.Input).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _system.Terminate().Wait();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>One non-persistent put and the get of it, each an actor round trip.</summary>
    [Benchmark]
    public async Task PutThenGet()
    {
        await _output.PutAsync(_message);
        await _input.GetAsync();
    }
}
