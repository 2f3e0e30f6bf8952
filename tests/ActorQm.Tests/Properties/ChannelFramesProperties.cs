using ActorQm.Channels;
using ActorQm.Mqsc;
using ActorQm.Protocol;
using FsCheck;
using FsCheck.Fluent;

namespace ActorQm.Tests.Properties;

/// <summary>
/// Property tests of the wire codec and the MQSC parser with FsCheck, at fixed seeds so a run is
/// repeatable: every segment survives encode + decode unchanged, and no byte sequence or text makes
/// the decoder or the parser throw anything but their own errors.
/// </summary>
public sealed class ChannelFramesProperties
{
    internal static readonly Config Seeded = Config.QuickThrowOnFailure.WithMaxTest(500).WithReplay(20261128UL, 7UL);

    internal static Gen<string> Text(int max, string alphabet = "abcXYZ09 .,_-/'()é€\u0000\n") =>
        Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Gen.Elements(alphabet.ToCharArray()), n)).Select(chars => new string(chars));

    private static Gen<byte[]> Bytes(int max) => Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n));

    private static Gen<long> Seq => Gen.Choose(0, int.MaxValue).Select(i => (long)i * 3);

    private static readonly Gen<bool> Bool = ArbMap.Default.GeneratorFor<bool>();

    internal static Gen<Segment> Segments =>
        Gen.OneOf(
            from seq in Seq from persistent in Bool from bytes in Bytes(2048) select (Segment)new MessageSegment(seq, persistent, bytes),
            from seq in Seq from count in Gen.Choose(0, 9999) select (Segment)new BatchEnd(seq, count),
            from seq in Seq select (Segment)new Confirm(seq),
            from reply in Bool select (Segment)new Heartbeat(reply),
            from code in Text(12) from reason in Gen.Choose(0, 9999) from text in Text(300) select (Segment)new StatusSegment(code, reason, text),
            from reason in Text(200) select (Segment)new CloseSegment(reason),
            from correlation in Gen.Choose(0, int.MaxValue)
            from op in Gen.Elements(Enum.GetValues<ClientOp>())
            from body in Bytes(512)
            select (Segment)new ClientRequest(correlation, op, body),
            from correlation in Gen.Choose(0, int.MaxValue)
            from reason in Gen.Choose(0, 9999)
            from detail in Text(100)
            from body in Bytes(256)
            select (Segment)new ClientResponse(correlation, reason, detail, body),
            from channel in Text(20)
            from type in Gen.Elements(Enum.GetValues<ChannelType>())
            from qmgr in Text(48)
            from batch in Gen.Choose(1, 9999)
            from maxMsgl in Gen.Choose(0, 104_857_600)
            from heartbeat in Gen.Choose(0, 999_999)
            from last in Seq
            from inDoubt in Seq
            from cipher in Text(32)
            select (Segment)new InitialData(channel, type, qmgr, batch, maxMsgl, heartbeat, 999_999_999, cipher, last, inDoubt, "app"),
            from qmgr in Text(48)
            from batch in Gen.Choose(1, 9999)
            from heartbeat in Gen.Choose(0, 999_999)
            from last in Seq
            select (Segment)new InitialDataReply(qmgr, batch, 4_194_304, heartbeat, last));

    /// <summary>Records holding arrays compare by reference; compare their encodings instead, and the record without them.</summary>
    private static bool Same(Segment a, Segment b) => (a, b) switch
    {
        (MessageSegment x, MessageSegment y) => x.Seq == y.Seq && x.Persistent == y.Persistent && x.XmitMessage.AsSpan().SequenceEqual(y.XmitMessage),
        (ClientRequest x, ClientRequest y) => x.Correlation == y.Correlation && x.Op == y.Op && x.Body.AsSpan().SequenceEqual(y.Body),
        (ClientResponse x, ClientResponse y) => x.Correlation == y.Correlation && x.Reason == y.Reason && x.Detail == y.Detail && x.Body.AsSpan().SequenceEqual(y.Body),
        _ => a.Equals(b),
    };

    [Fact]
    public void ChannelFrames_must_decode_every_encoded_segment_to_the_same_segment() =>
        Check.One(Seeded, Prop.ForAll(Segments.ToArbitrary(), segment =>
        {
            var (decoded, error) = ChannelFrames.Decode(ChannelFrames.Encode(segment));
            return error is null && decoded is not null && Same(segment, decoded);
        }));

    [Fact]
    public void ChannelFrames_must_answer_any_bytes_with_a_segment_or_an_error_never_an_exception() =>
        Check.One(Seeded, Prop.ForAll(Bytes(300).ToArbitrary(), bytes =>
        {
            var (segment, error) = ChannelFrames.Decode(bytes);
            return segment is not null ^ error is not null;
        }));

    [Fact]
    public void ChannelFrames_must_refuse_every_truncation_of_a_valid_frame() =>
        Check.One(Seeded, Prop.ForAll(Segments.ToArbitrary(), segment =>
        {
            var frame = ChannelFrames.Encode(segment);
            for (var cut = 0; cut < frame.Length; cut++)
            {
                var (decoded, error) = ChannelFrames.Decode(frame.AsSpan(0, cut));
                if (error is null && decoded is not null && Same(segment, decoded))
                {
                    return false;
                }
            }

            return true;
        }));

    [Fact]
    public void MqscParser_must_answer_any_text_with_commands_or_an_mqsc_error() =>
        Check.One(Seeded, Prop.ForAll(Gen.Choose(0, 40).SelectMany(n => Gen.ArrayOf(Gen.Elements("DEFINE QLOCAL('A') ALTER QMGR SSLKEYR(x) CHANNEL CHLTYPE(SDR) + - * ; ( ) ' \" , = 0 9 \n".Split(' ')), n))
            .Select(words => string.Join(" ", words)).ToArbitrary(), (string script) =>
        {
            try
            {
                MqscParser.ParseScript(script);
                return true;
            }
            catch (MqscException)
            {
                return true;
            }
        }));
}
