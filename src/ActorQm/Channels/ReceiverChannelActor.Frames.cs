using ActorQm.Messages;
using ActorQm.Protocol;
using ActorQm.Tls;
using Akka.Actor;

namespace ActorQm.Channels;

/// <summary>The receiver's reading side: frames decoded, credit returned to the transport, the receive timer kept.</summary>
internal sealed partial class ReceiverChannelActor
{
    private void Consumed(ReceiverData data)
    {
        _consumedFrames++;
        ReturnCredit(data);
        RestartReceiveTimer(data);
    }

    /// <summary>
    /// Nothing received for the heartbeat wait ends the channel. The timer is set again at most every eighth of that wait
    /// (not per frame: a timer per message costs more than the message), and runs an eighth longer, so it never fires
    /// sooner than the wait after the last frame and at most an eighth later.
    /// </summary>
    private void RestartReceiveTimer(ReceiverData data)
    {
        if (data.Heartbeat <= TimeSpan.Zero)
        {
            return;
        }

        var wait = SenderChannelActor.HeartbeatWait(data.Heartbeat);
        var now = Environment.TickCount64;
        if (now - _receiveTimerSetAt < (long)(wait.TotalMilliseconds / 8))
        {
            return;
        }

        _receiveTimerSetAt = now;
        SetTimer(ReceiveTimer, new Closing("AMQ9259E", $"nothing received from the remote end within {wait} (heartbeat interval {data.Heartbeat})"), wait + (wait / 8));
    }

    private static (TransmissionHeader? Header, MqMessage? Message) Unwrap(byte[] xmitMessage)
    {
        try
        {
            var (header, payload) = TransmissionHeader.Unwrap(new MqMessage(MessageDescriptor.Default, xmitMessage));
            return (header, new MqMessage(header.Original, payload));
        }
        catch (FormatException)
        {
            return (null, null);
        }
    }

    private Segment? Read(Transport.FrameReceived frame, ReceiverData data)
    {
        using (frame)
        {
            Consumed(data);
            var (segment, error) = ChannelFrames.Decode(frame.Frame.Span);
            if (error is not null)
            {
                Self.Tell(new Closing("AMQ9504E", $"protocol error: {error}"));
            }

            return segment;
        }
    }

    /// <summary>
    /// Credit goes back in groups (the reader keeps most of its initial credit, and this saves a message per frame), and not
    /// while too many FAST messages wait to be put: the partner then waits in its socket, not in this agent's memory.
    /// </summary>
    private void ReturnCredit(ReceiverData data)
    {
        if (_consumedFrames >= CreditGroup && _fastInFlight < MaxFastInFlight)
        {
            data.Transport.Tell(new Transport.ResumeReading(_consumedFrames));
            _consumedFrames = 0;
        }
    }

    /// <summary>Frames that come when the channel no longer reads (it is ending): their pooled buffers go back.</summary>
    private State<ChannelState, ReceiverData> Discard(IDisposable frames)
    {
        frames.Dispose();
        return Stay();
    }
}
