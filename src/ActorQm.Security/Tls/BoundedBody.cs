namespace ActorQm.Tls;

/// <summary>Reads what a remote source sends (an OCSP answer, a CRL) without ever holding more than a cap.</summary>
internal static class BoundedBody
{
    /// <summary>The whole body, or null as soon as it exceeds <paramref name="maxBytes"/>: never more than the cap and one read are held.</summary>
    public static async Task<byte[]?> ReadAsync(Stream stream, long maxBytes, CancellationToken cancel)
    {
        using var body = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancel).ConfigureAwait(false)) > 0)
        {
            if (body.Length + read > maxBytes)
            {
                return null;
            }

            body.Write(chunk, 0, read);
        }

        return body.ToArray();
    }
}
