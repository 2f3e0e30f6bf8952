using System.Buffers;
using System.Net.Security;
using ActorQm.Protocol;
using Akka.Actor;
using static ActorQm.Tls.Transport;

namespace ActorQm.Tls;

/// <summary>The reading loop: frames through one buffer, within the owner's credit, alone or in runs (docs/protocol.md, "Framing").</summary>
internal sealed partial class TransportActor
{
    private async Task<ReadEnded> ReadFrames(Stream stream)
    {
        using var reader = new BufferedFrameReader(stream, _settings.FirstFrameMaxBytes ?? _settings.MaxFrameBytes);
        try
        {
            while (true)
            {
                for (var credit = await _credit.TakeAllAsync(_stop.Token).ConfigureAwait(false); credit > 0;)
                {
                    if (_full is { } full)
                    {
                        await full.Task.WaitAsync(_stop.Token).ConfigureAwait(false);
                    }

                    if (!await reader.NextAsync(_stop.Token).ConfigureAwait(false))
                    {
                        return new ReadEnded(null, "the remote end closed the connection");
                    }

                    // The first frame passed its own bound (an accepting end's initial data): the next ones have the full one.
                    reader.MaxFrameBytes = _settings.MaxFrameBytes;

                    // Copied out of the reading buffer into one the owner keeps: a frame alone, or a run of those it takes together.
                    if (reader.IsLarge)
                    {
                        var (large, length) = await reader.TakeLargeAsync(_stop.Token).ConfigureAwait(false);
                        _owner.Tell(new FrameReceived(large, length));
                        credit--;
                    }
                    else if (_burst is { } burst && burst(reader.Current))
                    {
                        var (count, bytes) = reader.Run(burst, credit);
                        var frames = MemoryPool<byte>.Shared.Rent(bytes);
                        reader.Take(bytes, frames.Memory.Span);
                        _owner.Tell(new FramesReceived(frames, bytes, count));
                        credit -= count;
                    }
                    else
                    {
                        var length = reader.Current.Length;
                        var frame = MemoryPool<byte>.Shared.Rent(Math.Max(length, 1));
                        reader.TakeCurrent(frame.Memory.Span);
                        _owner.Tell(new FrameReceived(frame, length));
                        credit--;
                    }
                }
            }
        }
        catch (FrameLengthException e)
        {
            return new ReadEnded("AMQ9504E", e.Message);
        }
        catch (EndOfStreamException)
        {
            return new ReadEnded("AMQ9208E", "the remote end closed the connection in the middle of a frame");
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return new ReadEnded("AMQ9208E", $"error receiving data from the remote end: {e.Message}");
        }
        catch (OperationCanceledException)
        {
            return new ReadEnded(null, "closed by the local end");
        }
    }
}
