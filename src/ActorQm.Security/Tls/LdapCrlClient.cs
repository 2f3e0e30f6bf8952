using System.Formats.Asn1;
using System.Net.Sockets;

namespace ActorQm.Tls;

/// <summary>An LDAP server holding CRLs (AUTHINFO AUTHTYPE(CRLLDAP)): CONNAME host(port), optional bind user and password.</summary>
public sealed record LdapCrlServer(string Host, int Port, string? User = null, string? Password = null)
{
    /// <summary>Reads an MQ CONNAME such as <c>ldap.example(389)</c>; the port defaults to 389.</summary>
    public static LdapCrlServer FromConnName(string connName, string? user, string? password)
    {
        var open = connName.IndexOf('(', StringComparison.Ordinal);
        if (open < 0)
        {
            return new LdapCrlServer(connName.Trim(), 389, user, password);
        }

        var port = int.TryParse(connName[(open + 1)..].TrimEnd(')'), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536
            ? p
            : throw new FormatException($"CONNAME '{connName}' has no valid port");
        return new LdapCrlServer(connName[..open].Trim(), port, user, password);
    }

    public override string ToString() => $"ldap://{Host}:{Port}";
}

/// <summary>
/// Reads the CRL of a CA from an LDAP server as GSKit does: the entry whose DN is the issuer's
/// name, attribute certificateRevocationList;binary. A minimal LDAPv3 client (simple bind,
/// base-object search) written with System.Formats.Asn1, so no native LDAP library is needed.
/// </summary>
public static class LdapCrlClient
{
    private const int MessageOverhead = 64 * 1024;
    private static readonly Asn1Tag BindRequest = new(TagClass.Application, 0, isConstructed: true);
    private static readonly Asn1Tag BindResponse = new(TagClass.Application, 1, isConstructed: true);
    private static readonly Asn1Tag SearchRequest = new(TagClass.Application, 3, isConstructed: true);
    private static readonly Asn1Tag SearchResultEntry = new(TagClass.Application, 4, isConstructed: true);
    private static readonly Asn1Tag SearchResultDone = new(TagClass.Application, 5, isConstructed: true);

    /// <summary>
    /// The CRL bytes of <paramref name="issuerDn"/>, or null when the entry or attribute is missing. An answer
    /// whose CRL would exceed <paramref name="maxBytes"/> (tls.crl-max-bytes) is an <see cref="IOException"/>,
    /// refused from its length before it is read.
    /// </summary>
    public static async Task<byte[]?> FetchAsync(LdapCrlServer server, string issuerDn, CancellationToken cancel, long maxBytes = CrlCache.DefaultMaxBytes)
    {
        // The entry's DN and attribute names come on top of the CRL itself.
        var maxMessage = (int)Math.Min(int.MaxValue, maxBytes + MessageOverhead);
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, cancel).ConfigureAwait(false);
        var stream = client.GetStream();

        await Send(stream, 1, w =>
        {
            using (w.PushSequence(BindRequest))
            {
                w.WriteInteger(3);
                w.WriteOctetString(System.Text.Encoding.UTF8.GetBytes(server.User ?? string.Empty));
                w.WriteOctetString(System.Text.Encoding.UTF8.GetBytes(server.Password ?? string.Empty), new Asn1Tag(TagClass.ContextSpecific, 0));
            }
        }, cancel).ConfigureAwait(false);
        var bind = await Receive(stream, maxMessage, cancel).ConfigureAwait(false);
        var bindResult = ResultCode(bind, BindResponse);
        if (bindResult != 0)
        {
            throw new IOException($"LDAP bind to {server} as '{server.User}' failed with result code {bindResult}");
        }

        await Send(stream, 2, w =>
        {
            using (w.PushSequence(SearchRequest))
            {
                w.WriteOctetString(System.Text.Encoding.UTF8.GetBytes(issuerDn));
                w.WriteEnumeratedValue(SearchScope.BaseObject);
                w.WriteEnumeratedValue(DerefAliases.Never);
                w.WriteInteger(0);
                w.WriteInteger(10);
                w.WriteBoolean(false);
                w.WriteOctetString("objectClass"u8, new Asn1Tag(TagClass.ContextSpecific, 7));
                using (w.PushSequence())
                {
                    w.WriteOctetString("certificateRevocationList;binary"u8);
                    w.WriteOctetString("certificateRevocationList"u8);
                }
            }
        }, cancel).ConfigureAwait(false);

        byte[]? crl = null;
        while (true)
        {
            var message = await Receive(stream, maxMessage, cancel).ConfigureAwait(false);
            var reader = new AsnReader(message, AsnEncodingRules.BER).ReadSequence();
            reader.ReadInteger();
            var tag = reader.PeekTag();
            if (tag.HasSameClassAndValue(SearchResultEntry))
            {
                var entry = reader.ReadSequence(SearchResultEntry);
                entry.ReadOctetString();
                var attributes = entry.ReadSequence();
                while (attributes.HasData)
                {
                    var attribute = attributes.ReadSequence();
                    var type = System.Text.Encoding.UTF8.GetString(attribute.ReadOctetString());
                    var values = attribute.ReadSetOf();
                    if (type.StartsWith("certificateRevocationList", StringComparison.OrdinalIgnoreCase) && values.HasData)
                    {
                        crl ??= values.ReadOctetString();
                        if (crl.Length > maxBytes)
                        {
                            throw new IOException($"the CRL of '{issuerDn}' on {server} is larger than tls.crl-max-bytes ({maxBytes} bytes)");
                        }
                    }
                }
            }
            else if (tag.HasSameClassAndValue(SearchResultDone))
            {
                // 32 = noSuchObject: the CA has no entry, so no CRL.
                var result = ResultCode(message, SearchResultDone);
                return result is 0 or 32 ? crl : throw new IOException($"LDAP search of '{issuerDn}' on {server} failed with result code {result}");
            }
            else
            {
                reader.ReadEncodedValue();
            }
        }
    }

    private enum SearchScope
    {
        BaseObject = 0,
    }

    private enum DerefAliases
    {
        Never = 0,
    }

    private static int ResultCode(byte[] message, Asn1Tag expected)
    {
        var reader = new AsnReader(message, AsnEncodingRules.BER).ReadSequence();
        reader.ReadInteger();
        var op = reader.ReadSequence(expected);
        return (int)new System.Numerics.BigInteger(op.ReadEnumeratedBytes().Span, isUnsigned: false, isBigEndian: true);
    }

    private static async Task Send(NetworkStream stream, int messageId, Action<AsnWriter> op, CancellationToken cancel)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(messageId);
            op(writer);
        }

        await stream.WriteAsync(writer.Encode(), cancel).ConfigureAwait(false);
    }

    /// <summary>Reads one whole BER element (an LDAPMessage) from the stream.</summary>
    private static async Task<byte[]> Receive(NetworkStream stream, int maxBytes, CancellationToken cancel)
    {
        var head = new byte[2];
        await stream.ReadExactlyAsync(head, cancel).ConfigureAwait(false);
        int length;
        byte[] lengthBytes = [];
        if ((head[1] & 0x80) == 0)
        {
            length = head[1];
        }
        else
        {
            var count = head[1] & 0x7F;
            if (count is 0 or > 4)
            {
                throw new IOException("LDAP response with an unsupported length encoding");
            }

            lengthBytes = new byte[count];
            await stream.ReadExactlyAsync(lengthBytes, cancel).ConfigureAwait(false);
            length = lengthBytes.Aggregate(0, (acc, b) => (acc << 8) | b);
        }

        if (length < 0 || length > maxBytes)
        {
            throw new IOException($"LDAP response of {length} bytes refused (over tls.crl-max-bytes)");
        }

        var message = new byte[2 + lengthBytes.Length + length];
        head.CopyTo(message, 0);
        lengthBytes.CopyTo(message, 2);
        await stream.ReadExactlyAsync(message.AsMemory(2 + lengthBytes.Length), cancel).ConfigureAwait(false);
        return message;
    }
}
