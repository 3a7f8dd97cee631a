import Crypto
import Foundation
import SwiftASN1
import X509

/// The certificate a TLS client proved it holds, as the authenticator and handlers see it.
public struct PeerCertificate: Sendable, Hashable {
    /// The subject, RFC 4514 style (`CN=scada1,O=Plant`).
    public let subject: String
    /// The subject's common name, when it has one.
    public let commonName: String?
    /// The issuer, RFC 4514 style.
    public let issuer: String
    /// The serial number in hex.
    public let serialNumber: String
    /// SHA-256 of the DER certificate, lowercase hex: what an allow-list entry or a role mapping can pin.
    public let sha256Fingerprint: String
    public let notValidAfter: Date

    init(_ certificate: Certificate, der: [UInt8]) {
        subject = certificate.subject.description
        commonName = certificate.subject.lazy.flatMap { $0 }.first { $0.type == ASN1ObjectIdentifier.RDNAttributeType.commonName }.map { "\($0.value)" }
        issuer = certificate.issuer.description
        serialNumber = certificate.serialNumber.bytes.map { String(format: "%02x", $0) }.joined()
        sha256Fingerprint = SHA256.hash(data: der).map { String(format: "%02x", $0) }.joined()
        notValidAfter = certificate.notValidAfter
    }
}
