import Foundation

/// Why TLS material (certificates, keys, CRLs) could not be used. Each names the file and says what to fix.
public enum TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadableFile(path: String, reason: String)
    case noCertificate(path: String)
    case invalidCertificate(path: String, reason: String)
    case invalidPrivateKey(path: String, reason: String)
    case keyDoesNotMatchCertificate(key: String, certificate: String)
    case certificateExpired(path: String, notValidAfter: Date)
    case certificateNotYetValid(path: String, notValidBefore: Date)
    case invalidCRL(path: String, reason: String)
    case crlNotSignedByAnyCA(path: String, issuer: String)
    case nothingToTrust
    case setupFailed(reason: String)

    /// A stable number for each kind of failure (for logs and scripts).
    public var code: Int {
        switch self {
        case .unreadableFile: 1
        case .noCertificate: 2
        case .invalidCertificate: 3
        case .invalidPrivateKey: 4
        case .keyDoesNotMatchCertificate: 5
        case .certificateExpired: 6
        case .certificateNotYetValid: 7
        case .invalidCRL: 8
        case .crlNotSignedByAnyCA: 9
        case .nothingToTrust: 10
        case .setupFailed: 11
        }
    }

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason): "\(path): cannot be read (\(reason))"
        case .noCertificate(let path): "\(path): holds no PEM certificate (a block starting -----BEGIN CERTIFICATE-----)"
        case .invalidCertificate(let path, let reason): "\(path): not a valid X.509 certificate (\(reason))"
        case .invalidPrivateKey(let path, let reason): "\(path): not a usable private key (\(reason)); give an unencrypted PEM key"
        case .keyDoesNotMatchCertificate(let key, let certificate): "\(key): this private key does not belong to the certificate in \(certificate)"
        case .certificateExpired(let path, let date): "\(path): the certificate expired on \(Self.format(date))"
        case .certificateNotYetValid(let path, let date): "\(path): the certificate is not valid before \(Self.format(date))"
        case .invalidCRL(let path, let reason): "\(path): not a valid certificate revocation list (\(reason))"
        case .crlNotSignedByAnyCA(let path, let issuer): "\(path): the CRL of \(issuer) is not signed by any of the configured CA certificates"
        case .nothingToTrust:
            "client certificates are required but neither CA certificates (ca) nor allowed certificates (allowed-certificates) are configured"
        case .setupFailed(let reason): "TLS set-up failed: \(reason)"
        }
    }

    /// `2027-01-31 12:00:00 UTC` (gmtime, not ICU: no locale, no calendar data needed).
    static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) UTC"
    }
}
