using ActorQm.Channels;
using ActorQm.QueueManagers;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ActorQm.Hosting;

/// <summary>
/// Healthy when every queue manager runs and no channel is retrying or stopped; degraded while a
/// queue manager starts or a channel retries or is stopped; unhealthy when a queue manager could
/// not start. The data names the channels and their states.
/// </summary>
internal sealed class ActorQmHealthCheck : IAkkaHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(AkkaHealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var registry = ActorQmExtension.Get(context.ActorSystem).Registry;
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var problems = new List<string>();
        var failed = false;
        foreach (var name in registry.Names.Order(StringComparer.Ordinal))
        {
            if (registry.FailureOf(name) is { } failure)
            {
                failed = true;
                problems.Add($"{name}: {failure}");
                data[name] = "FAILED";
                continue;
            }

            if (!registry.IsStarted(name))
            {
                problems.Add($"{name}: starting");
                data[name] = "STARTING";
                continue;
            }

            data[name] = "RUNNING";
            var qm = await registry.GetAsync(name, cancellationToken).ConfigureAwait(false);
            var channels = await qm.Ask<IReadOnlyList<ChannelStatus>>(QueueManager.GetChannelStatus.Instance, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            foreach (var channel in channels)
            {
                data[$"{name}/{channel.Name}"] = channel.State.ToString().ToUpperInvariant();
                if (channel.State is ChannelState.Retrying or ChannelState.Stopped)
                {
                    problems.Add($"{name}: channel {channel.Name} is {channel.State.ToString().ToUpperInvariant()}{(channel.LastError.Length > 0 ? $" ({channel.LastError})" : string.Empty)}");
                }
            }
        }

        if (failed)
        {
            return HealthCheckResult.Unhealthy(string.Join("; ", problems), data: data);
        }

        return problems.Count == 0
            ? HealthCheckResult.Healthy($"{registry.Names.Count} queue manager(s) running", data)
            : HealthCheckResult.Degraded(string.Join("; ", problems), data: data);
    }
}
