using ActorQm.Configuration;
using ActorQm.Diagnostics;
using Akka.Configuration;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace ActorQm.Cli;

/// <summary>
/// The Prometheus endpoint of <c>actorqm start</c> (<c>actorqm.telemetry.prometheus</c>): OpenTelemetry's own exporter
/// over the meter "ActorQm", so the exposition format is the exporter's, not ours (docs/operations.md, "Metrics").
/// </summary>
internal static class CliTelemetry
{
    /// <returns>The running exporter, or null when the setting is empty.</returns>
    /// <exception cref="CliException">The setting is not an http:// URL with a path.</exception>
    public static MeterProvider? Start(Config config)
    {
        var url = config.WithFallback(ActorQmSettings.Reference).GetString("actorqm.telemetry.prometheus", string.Empty);
        if (string.IsNullOrWhiteSpace(url))
        {
            return null;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != "http" || uri.AbsolutePath.Length < 2 || !string.IsNullOrEmpty(uri.Query))
        {
            throw new CliException($"actorqm.telemetry.prometheus: '{url}' is not an http:// URL with a path, e.g. \"http://127.0.0.1:9464/metrics\"", 20);
        }

        var provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(ActorQmTelemetry.MeterName)
            .AddPrometheusHttpListener(o =>
            {
                o.Host = uri.Host;
                o.Port = uri.Port;
                o.ScrapeEndpointPath = uri.AbsolutePath;
            })
            .Build();
        Console.WriteLine($"ActorQm metrics for Prometheus at {uri}");
        return provider;
    }
}
