import Foundation
import NIOSSL

/// Why a TLS connection was refused, in words an integrator can act on.
enum TLSRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    case noCertificate
    case expired(notValidAfter: Date)
    case notYetValid(notValidBefore: Date)
    case untrusted(String)
    case revoked(serialNumber: String)
    case notAllowListed
    case unreadableCertificate(String)
    case protocolVersion
    case noCommonCipher
    case notTLS
    case peerAlert(String)
    case closedDuringHandshake
    case other(String)

    var description: String {
        switch self {
        case .noCertificate: "the client presented no certificate (mutual authentication is required)"
        case .expired(let date): "the client certificate expired on \(TLSError.format(date))"
        case .notYetValid(let date): "the client certificate is not valid before \(TLSError.format(date))"
        case .untrusted(let why): "the client certificate is not trusted: \(why)"
        case .revoked(let serial): "the client certificate (serial \(serial)) is revoked by a configured CRL"
        case .notAllowListed: "the client certificate is not on the allow-list (allowed-certificates)"
        case .unreadableCertificate(let why): "the client certificate cannot be parsed (\(why))"
        case .protocolVersion: "the client offered no TLS version this server accepts (TLS 1.2 or 1.3 only)"
        case .noCommonCipher: "the client offered none of the cipher suites this server accepts (ECDHE with AES-GCM)"
        case .notTLS: "the client does not speak TLS (a plain MMS client on the TLS port?)"
        case .peerAlert(let alert): "the client ended the handshake with an alert: \(alert) (does it trust this server's certificate?)"
        case .closedDuringHandshake: "the client closed the connection during the handshake"
        case .other(let what): "the handshake failed: \(what)"
        }
    }

    /// The refusal a handshake error stands for, when the certificate check did not already say.
    static func from(_ error: any Error) -> TLSRefusal {
        if let error = error as? NIOSSLError {
            switch error {
            case .uncleanShutdown: return .closedDuringHandshake
            case .handshakeFailed(let boring): return from(openSSLText: "\(boring)")
            default: return .other("\(error)")
            }
        }
        if let error = error as? BoringSSLError { return from(openSSLText: "\(error)") }
        return .other("\(error)")
    }

    static func from(openSSLText text: String) -> TLSRefusal {
        if text.contains("EOF during handshake") { return .closedDuringHandshake }
        if text.contains("PEER_DID_NOT_RETURN_A_CERTIFICATE") || text.contains("CERTIFICATE_REQUIRED") { return .noCertificate }
        if text.contains("UNSUPPORTED_PROTOCOL") || text.contains("TLSV1_ALERT_PROTOCOL_VERSION") { return .protocolVersion }
        if text.contains("NO_SHARED_CIPHER") || text.contains("NO_SHARED_GROUP") || text.contains("WRONG_CURVE")
            || text.contains("NO_COMMON_SIGNATURE_ALGORITHMS")
        {
            return .noCommonCipher
        }
        if text.contains("WRONG_VERSION_NUMBER") || text.contains("HTTP_REQUEST") || text.contains("UNEXPECTED_RECORD")
            || text.contains("BAD_PACKET_LENGTH") || text.contains("UNKNOWN_PROTOCOL") || text.contains("RECORD_TOO_LARGE")
        {
            return .notTLS
        }
        if let range = text.range(of: #"(SSLV3|TLSV1)_ALERT_[A-Z_]+"#, options: .regularExpression) {
            let alert = text[range].split(separator: "_").dropFirst(2).joined(separator: " ").lowercased()
            return .peerAlert(alert)
        }
        return .other(text)
    }

    /// The kind, without particulars: repeated refusals of one kind are summarised in the audit trail.
    var kind: String {
        switch self {
        case .noCertificate: "no certificate"
        case .expired: "expired"
        case .notYetValid: "not yet valid"
        case .untrusted: "untrusted"
        case .revoked: "revoked"
        case .notAllowListed: "not allow-listed"
        case .unreadableCertificate: "unreadable certificate"
        case .protocolVersion: "protocol version"
        case .noCommonCipher: "no common cipher"
        case .notTLS: "not TLS"
        case .peerAlert: "peer alert"
        case .closedDuringHandshake: "closed during handshake"
        case .other: "other"
        }
    }
}
