import Foundation

/// Why TLS material (certificates, keys, CRLs) could not be used: a stable code, and a message that names
/// the file and says what to fix.
public struct TLSError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of error, with its stable number (TLS-n: TLS material).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The number in the family.
        public let number: Int

        private init(_ number: Int) { self.number = number }

        public static let unreadableFile = Code(1)
        public static let noCertificate = Code(2)
        public static let invalidCertificate = Code(3)
        public static let invalidPrivateKey = Code(4)
        public static let keyDoesNotMatchCertificate = Code(5)
        public static let certificateExpired = Code(6)
        public static let certificateNotYetValid = Code(7)
        public static let invalidCRL = Code(8)
        public static let crlNotSignedByAnyCA = Code(9)
        public static let nothingToTrust = Code(10)
        public static let setupFailed = Code(11)

        public var description: String { "TLS-\(number)" }
    }

    public let code: Code
    /// What went wrong, in words.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code) \(message)" }

    public static func unreadableFile(path: String, reason: String) -> TLSError { TLSError(.unreadableFile, "\(path): cannot be read (\(reason))") }

    public static func noCertificate(path: String) -> TLSError {
        TLSError(.noCertificate, "\(path): holds no PEM certificate (a block starting -----BEGIN CERTIFICATE-----)")
    }

    public static func invalidCertificate(path: String, reason: String) -> TLSError {
        TLSError(.invalidCertificate, "\(path): not a valid X.509 certificate (\(reason))")
    }

    public static func invalidPrivateKey(path: String, reason: String) -> TLSError {
        TLSError(.invalidPrivateKey, "\(path): not a usable private key (\(reason)); give an unencrypted PEM key")
    }

    public static func keyDoesNotMatchCertificate(key: String, certificate: String) -> TLSError {
        TLSError(.keyDoesNotMatchCertificate, "\(key): this private key does not belong to the certificate in \(certificate)")
    }

    public static func certificateExpired(path: String, notValidAfter date: Date) -> TLSError {
        TLSError(.certificateExpired, "\(path): the certificate expired on \(Self.format(date))")
    }

    public static func certificateNotYetValid(path: String, notValidBefore date: Date) -> TLSError {
        TLSError(.certificateNotYetValid, "\(path): the certificate is not valid before \(Self.format(date))")
    }

    public static func invalidCRL(path: String, reason: String) -> TLSError {
        TLSError(.invalidCRL, "\(path): not a valid certificate revocation list (\(reason))")
    }

    public static func crlNotSignedByAnyCA(path: String, issuer: String) -> TLSError {
        TLSError(.crlNotSignedByAnyCA, "\(path): the CRL of \(issuer) is not signed by any of the configured CA certificates")
    }

    public static let nothingToTrust = TLSError(
        .nothingToTrust, "client certificates are required but neither CA certificates (ca) nor allowed certificates (allowed-certificates) are configured")

    public static func setupFailed(reason: String) -> TLSError { TLSError(.setupFailed, "TLS set-up failed: \(reason)") }

    /// `2027-01-31 12:00:00 UTC` (gmtime, not ICU: no locale, no calendar data needed).
    static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) UTC"
    }
}
