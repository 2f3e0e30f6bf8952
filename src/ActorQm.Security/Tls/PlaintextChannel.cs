using ActorQm.Messages;
using ActorQm.Protocol;

namespace ActorQm.Tls;

/// <summary>
/// A channel with no SSLCIPH at one end, reported where MQ reports it (docs/tls.md, "Plaintext channels"): the initiator
/// sends its initial data in the clear and the responder, which only runs channels over TLS, refuses it with AMQ9639E and a
/// status frame; the initiator then logs AMQ9641E with the responder's reason. No message, and nothing but the initial
/// data's names and limits, ever crosses such a connection.
/// </summary>
public static class PlaintextChannel
{
    /// <summary>The largest plaintext frame either end reads: initial data or a status, never more.</summary>
    public const int MaxFrameBytes = 4096;

    /// <summary>How long the initiator waits for the responder's refusal.</summary>
    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Whether the connection starts with a channel frame rather than TLS: a TLS connection begins with a handshake
    /// record (content type 22), a frame with its length's top byte, which is 0 for any frame within the bound.
    /// Reads one byte, which <paramref name="stream"/> gives back to whoever reads next.
    /// </summary>
    public static async Task<bool> StartsInTheClearAsync(ReplayStream stream, CancellationToken cancel) =>
        await stream.PeekAsync(cancel).ConfigureAwait(false) == 0;

    /// <summary>Responder: reads the initiator's plaintext initial data (bounded) and says why it is refused.</summary>
    public static async Task<StepFailure> RefuseAsync(Stream stream, CancellationToken cancel)
    {
        var (segment, error) = await ReadAsync(stream, cancel).ConfigureAwait(false);
        var detail = segment switch
        {
            InitialData hello => $"remote channel '{hello.ChannelName}' did not specify a CipherSpec: channels here run over TLS only (SSLCIPH at both ends)",
            _ => $"the remote end sent data in the clear that is not initial data ({error ?? segment?.GetType().Name}); channels here run over TLS only",
        };
        return new StepFailure(HandshakeStep.CertificateExchange, "AMQ9639E", MqReason.SslInitializationError, detail, null);
    }

    /// <summary>The status frame that tells the initiator why (nothing about this end's configuration).</summary>
    public static ReadOnlyMemory<byte> RefusalFrame() =>
        ChannelFrames.Encode(new StatusSegment("AMQ9639E", (int)MqReason.SslInitializationError,
            "the channel has no CipherSpec at your end and requires TLS at this end (define SSLCIPH at both ends)"));

    /// <summary>
    /// Initiator of a channel without SSLCIPH: sends <paramref name="hello"/> in the clear and returns the failure to report,
    /// AMQ9641E with the responder's reason; any answer other than a refusal is a protocol error and ends the connection too.
    /// </summary>
    public static async Task<StepFailure> CallAsync(Stream stream, InitialData hello, CancellationToken cancel)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(ReplyTimeout);
        string detail;
        try
        {
            await FrameStream.WriteAsync(stream, ChannelFrames.Encode(hello), timeout.Token).ConfigureAwait(false);
            var (segment, error) = await ReadAsync(stream, timeout.Token).ConfigureAwait(false);
            detail = segment switch
            {
                StatusSegment status => RemoteRefusal.Detail(status, $"channel '{hello.ChannelName}' without a CipherSpec"),
                null => $"the remote end closed channel '{hello.ChannelName}', which has no CipherSpec here ({error})",
                _ => $"channel '{hello.ChannelName}' has no CipherSpec here and the remote end did not refuse it; ActorQm sends no message without TLS",
            };
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            detail = $"channel '{hello.ChannelName}' has no CipherSpec here and the remote end did not answer its initial data ({(e is OperationCanceledException ? "timed out" : e.Message)})";
        }

        return new StepFailure(HandshakeStep.CertificateExchange, "AMQ9641E", MqReason.SslInitializationError, detail, null);
    }

    private static async Task<(Segment? Segment, string? Error)> ReadAsync(Stream stream, CancellationToken cancel)
    {
        var header = new byte[FrameStream.HeaderBytes];
        int? length;
        try
        {
            length = await FrameStream.ReadLengthAsync(stream, header, MaxFrameBytes, cancel).ConfigureAwait(false);
        }
        catch (FrameLengthException e)
        {
            return (null, e.Message);
        }

        if (length is not { } size)
        {
            return (null, "the connection ended");
        }

        var body = new byte[size];
        return await stream.ReadAtLeastAsync(body, size, throwOnEndOfStream: false, cancel).ConfigureAwait(false) < size
            ? (null, "the connection ended inside a frame")
            : ChannelFrames.Decode(body);
    }
}

/// <summary>A stream over another that can look at its first byte and give it back to the next read; writes pass through.</summary>
public sealed class ReplayStream(Stream inner) : Stream
{
    private int _held = -1;

    /// <summary>The next byte, left to be read again; -1 at the end of the stream.</summary>
    public async ValueTask<int> PeekAsync(CancellationToken cancel)
    {
        if (_held < 0)
        {
            var one = new byte[1];
            _held = await inner.ReadAsync(one, cancel).ConfigureAwait(false) == 0 ? -1 : one[0];
        }

        return _held;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (TakeHeld(buffer) is { } n)
        {
            return n;
        }

        return inner.Read(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        TakeHeld(buffer.Span) is { } n ? ValueTask.FromResult(n) : inner.ReadAsync(buffer, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private int? TakeHeld(Span<byte> buffer)
    {
        if (_held < 0 || buffer.Length == 0)
        {
            return null;
        }

        buffer[0] = (byte)_held;
        _held = -1;
        return 1;
    }
}
