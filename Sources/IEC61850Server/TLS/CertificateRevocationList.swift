import Foundation
import SwiftASN1
import X509

/// An X.509 certificate revocation list (RFC 5280 §5): who issued it, when it was made and when the next
/// is due, and the serial numbers it revokes. Parsed from DER or PEM (`-----BEGIN X509 CRL-----`).
struct CertificateRevocationList: Sendable {
    let issuer: DistinguishedName
    let thisUpdate: Date
    let nextUpdate: Date?
    /// The revoked certificates' serial numbers (their DER INTEGER content octets).
    let revokedSerialNumbers: Set<ArraySlice<UInt8>>
    private let signedBytes: ArraySlice<UInt8>
    private let signatureAlgorithm: Certificate.SignatureAlgorithm?
    private let signature: ArraySlice<UInt8>

    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    /// Reads a CRL from PEM text or DER octets.
    init(bytes: [UInt8]) throws {
        let der: [UInt8]
        if let text = String(validating: bytes, as: UTF8.self), text.contains("-----BEGIN") {
            guard let document = try? PEMDocument(pemString: text) else { throw ParseError(description: "the PEM block cannot be decoded") }
            guard document.discriminator == "X509 CRL" else {
                throw ParseError(description: "the PEM block is a \(document.discriminator), not an X509 CRL")
            }
            der = document.derBytes
        } else {
            der = bytes
        }
        try self.init(der: der)
    }

    private init(der: [UInt8]) throws {
        let root = try DER.parse(der)
        let parts = try Self.children(of: root, "CertificateList")
        guard parts.count == 3 else { throw ParseError(description: "CertificateList has \(parts.count) parts, not 3") }
        signedBytes = parts[0].encodedBytes
        let algorithm = try Self.children(of: parts[1], "signatureAlgorithm")
        signatureAlgorithm = try algorithm.first.flatMap { Self.signatureAlgorithm(try ASN1ObjectIdentifier(derEncoded: $0)) }
        signature = try ASN1BitString(derEncoded: parts[2]).bytes

        var fields = try Self.children(of: parts[0], "TBSCertList")[...]
        if fields.first?.identifier == .integer { fields = fields.dropFirst() }  // version v2
        guard fields.count >= 3 else { throw ParseError(description: "TBSCertList is too short") }
        fields = fields.dropFirst()  // signature (repeats signatureAlgorithm)
        issuer = try DistinguishedName(derEncoded: fields.removeFirst())
        thisUpdate = try Self.time(fields.removeFirst())
        if let next = fields.first, next.identifier == .utcTime || next.identifier == .generalizedTime {
            nextUpdate = try Self.time(next)
            fields = fields.dropFirst()
        } else {
            nextUpdate = nil
        }
        var revoked = Set<ArraySlice<UInt8>>()
        if let list = fields.first, list.identifier == .sequence {
            for entry in try Self.children(of: list, "revokedCertificates") {
                guard let serial = try Self.children(of: entry, "revoked certificate").first, serial.identifier == .integer,
                    case .primitive(let octets) = serial.content
                else { throw ParseError(description: "a revoked entry has no serial number") }
                revoked.insert(Self.trimmed(octets))
            }
        }
        revokedSerialNumbers = revoked
    }

    /// Whether `certificate` (issued by this CRL's issuer) is on the list.
    func revokes(_ certificate: Certificate) -> Bool {
        certificate.issuer == issuer && revokedSerialNumbers.contains(Self.trimmed(certificate.serialNumber.bytes))
    }

    /// Whether `authority` issued this CRL: same name, and its key verifies the signature.
    func isSigned(by authority: Certificate) -> Bool {
        guard authority.subject == issuer, let signatureAlgorithm else { return false }
        return authority.publicKey.isValidSignature(signature, for: signedBytes, signatureAlgorithm: signatureAlgorithm)
    }

    private static func children(of node: ASN1Node, _ what: String) throws -> [ASN1Node] {
        guard node.identifier == .sequence, case .constructed(let nodes) = node.content else {
            throw ParseError(description: "\(what) is not a SEQUENCE")
        }
        return Array(nodes)
    }

    /// Serial numbers compare without leading zero octets (a positive INTEGER may carry one).
    private static func trimmed(_ octets: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var octets = octets
        while octets.count > 1, octets.first == 0 { octets = octets.dropFirst() }
        return ArraySlice(Array(octets))
    }

    private static func time(_ node: ASN1Node) throws -> Date {
        var parts = tm()
        if node.identifier == .utcTime {
            let time = try UTCTime(derEncoded: node)
            (parts.tm_year, parts.tm_mon, parts.tm_mday) = (Int32(time.year - 1900), Int32(time.month - 1), Int32(time.day))
            (parts.tm_hour, parts.tm_min, parts.tm_sec) = (Int32(time.hours), Int32(time.minutes), Int32(time.seconds))
        } else if node.identifier == .generalizedTime {
            let time = try GeneralizedTime(derEncoded: node)
            (parts.tm_year, parts.tm_mon, parts.tm_mday) = (Int32(time.year - 1900), Int32(time.month - 1), Int32(time.day))
            (parts.tm_hour, parts.tm_min, parts.tm_sec) = (Int32(time.hours), Int32(time.minutes), Int32(time.seconds))
        } else {
            throw ParseError(description: "a time is neither UTCTime nor GeneralizedTime")
        }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }

    private static func signatureAlgorithm(_ oid: ASN1ObjectIdentifier) -> Certificate.SignatureAlgorithm? {
        switch oid {
        case [1, 2, 840, 113_549, 1, 1, 5]: .sha1WithRSAEncryption
        case [1, 2, 840, 113_549, 1, 1, 11]: .sha256WithRSAEncryption
        case [1, 2, 840, 113_549, 1, 1, 12]: .sha384WithRSAEncryption
        case [1, 2, 840, 113_549, 1, 1, 13]: .sha512WithRSAEncryption
        case [1, 2, 840, 10045, 4, 3, 2]: .ecdsaWithSHA256
        case [1, 2, 840, 10045, 4, 3, 3]: .ecdsaWithSHA384
        case [1, 2, 840, 10045, 4, 3, 4]: .ecdsaWithSHA512
        case [1, 3, 101, 112]: .ed25519
        default: nil
        }
    }
}
