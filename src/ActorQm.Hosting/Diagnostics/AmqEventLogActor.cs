using ActorQm.Channels;
using ActorQm.Tls;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace ActorQm.Hosting.Diagnostics;

/// <summary>
/// Writes the refused handshakes, revocation warnings and failed channels of the actor system's EventStream to the host's
/// <see cref="ILoggerFactory"/> as structured <see cref="AmqEventLog"/> messages, under the categories <c>ActorQm.Tls</c>
/// and <c>ActorQm.Channels</c> (docs/operations.md, "Structured logs").
/// </summary>
internal sealed class AmqEventLogActor : ReceiveActor
{
    public AmqEventLogActor(ILoggerFactory loggers)
    {
        var tls = loggers.CreateLogger(AmqEventLogs.TlsCategory);
        var channels = loggers.CreateLogger(AmqEventLogs.ChannelsCategory);
        Receive<Handshake.ChannelSslError>(e => AmqEventLog.Log(tls, e));
        Receive<Handshake.ChannelSslWarning>(e => AmqEventLog.Log(tls, e));
        Receive<Channel.ChannelFailed>(e => AmqEventLog.Log(channels, e));
    }

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(Handshake.ChannelSslError));
        Context.System.EventStream.Subscribe(Self, typeof(Handshake.ChannelSslWarning));
        Context.System.EventStream.Subscribe(Self, typeof(Channel.ChannelFailed));
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}

/// <summary>Props and categories of <see cref="AmqEventLogActor"/>.</summary>
public static class AmqEventLogs
{
    /// <summary>The category of refused handshakes and revocation warnings.</summary>
    public const string TlsCategory = "ActorQm.Tls";

    /// <summary>The category of channels that ended with an error.</summary>
    public const string ChannelsCategory = "ActorQm.Channels";

    /// <summary>The actor that writes the events to <paramref name="loggers"/>; <c>WithActorQm</c> starts one when the host has logging.</summary>
    public static Props Props(ILoggerFactory loggers) => Akka.Actor.Props.Create(() => new AmqEventLogActor(loggers));
}
