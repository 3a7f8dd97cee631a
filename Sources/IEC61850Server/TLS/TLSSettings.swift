import Foundation

/// MMS over TLS (the IEC 62351-3 profile): where the TLS listener is and with which certificates it works.
///
/// The listener speaks TLS 1.2 and 1.3 only, with the ephemeral-ECDH AES-GCM suites the profile recommends,
/// and asks every client for a certificate (mutual authentication). A client certificate must chain to one
/// of ``caFiles``, be within its validity period, not be revoked by one of ``crlFiles`` and, when
/// ``allowedCertificateFiles`` is not empty, be one of those exact certificates. Every refusal is logged and
/// reported as ``ServerEvent/tlsHandshakeFailed(_:reason:subject:)`` with the reason in words.
///
/// The files are read at ``IedServer/start()`` and again by ``IedServer/reloadTLS()`` (and, with
/// ``reloadInterval``, whenever one of them changes): established associations keep their session, new
/// ones get the new material.
public struct TLSSettings: Sendable, Equatable {
    /// TCP port of the TLS listener; 3782 is the IANA port for MMS over TLS. 0 picks a free port
    /// (see ``IedServer/localTLSPort``).
    public var port: Int
    /// The server's certificate (PEM), followed by its intermediate certificates if any.
    public var certificateFile: String
    /// The server's private key (PEM, unencrypted).
    public var privateKeyFile: String
    /// Certificates of the certificate authorities whose client certificates are trusted (PEM; a file may
    /// hold several).
    public var caFiles: [String]
    /// When not empty, only these exact client certificates are admitted (PEM), as libIEC61850's "allow only
    /// known certificates". With no ``caFiles`` they are trusted on their own (pinned, self-signed ones too).
    public var allowedCertificateFiles: [String]
    /// Certificate revocation lists (PEM or DER) of the certificate authorities; a CRL is used only when its
    /// signature checks out against the certificate authority that issued it.
    public var crlFiles: [String]
    /// Whether a client must present a certificate (IEC 62351-3 mutual authentication). Off, a client without
    /// one is admitted, and one that presents a certificate still has it checked.
    public var requireClientCertificate: Bool
    /// How often the files are checked for changes (nil: only ``IedServer/reloadTLS()`` reloads them).
    public var reloadInterval: Duration?

    public init(
        port: Int = 3782, certificateFile: String, privateKeyFile: String, caFiles: [String] = [], allowedCertificateFiles: [String] = [],
        crlFiles: [String] = [], requireClientCertificate: Bool = true, reloadInterval: Duration? = .seconds(5)
    ) {
        self.port = port
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.caFiles = caFiles
        self.allowedCertificateFiles = allowedCertificateFiles
        self.crlFiles = crlFiles
        self.requireClientCertificate = requireClientCertificate
        self.reloadInterval = reloadInterval
    }

    /// Every file the settings name, in a stable order (to watch them for changes).
    var files: [String] { [certificateFile, privateKeyFile] + caFiles + allowedCertificateFiles + crlFiles }
}
