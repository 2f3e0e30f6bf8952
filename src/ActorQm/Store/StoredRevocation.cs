namespace ActorQm.Store;

/// <summary>
/// A certificate known revoked, as the journal keeps it (REVOKE CERT survives a restart): the store
/// holds its text and knows nothing of certificates; the queue manager turns it back into the TLS
/// layer's revocation list at start.
/// </summary>
/// <param name="Key">The identity the row is unique by (issuer and serial normalised by the TLS layer); empty when read back.</param>
public sealed record StoredRevocation(string Key, string Issuer, string Serial, string Source);
