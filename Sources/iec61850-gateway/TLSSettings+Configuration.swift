import GatewayCore
import IEC61850Server

extension TLSSettings {
    /// The configuration's `server: tls:` section as the server's settings; nil without a certificate and
    /// a key (the reader has reported that already).
    init?(_ section: GatewayConfiguration.TLS) {
        guard let certificate = section.certificate, let key = section.key else { return nil }
        self.init(
            port: section.port ?? 3782, certificateFile: certificate, privateKeyFile: key, caFiles: section.caFiles,
            allowedCertificateFiles: section.allowedCertificates, crlFiles: section.crlFiles,
            requireClientCertificate: section.requireClientCertificate ?? true)
    }
}
