import Foundation
@_spi(FixedExpiryValidationTime) import X509

/// Decides whether a TLS client's certificate chain is admitted: validity period, a chain to a configured
/// CA (RFC 5280 path validation), the CRLs, and the allow-list. Says why when it is not.
struct PeerCertificateValidator: Sendable {
    let authorities: [Certificate]
    /// DER of the allow-listed certificates (empty: any certificate that passes the other checks).
    let allowed: Set<[UInt8]>
    /// CRLs, each checked at load to be signed by one of the authorities.
    let revocationLists: [CertificateRevocationList]

    /// The most certificates a client may present (its own and intermediates). Path building tries every
    /// ordering of look-alike intermediates, so a long list of them is a way to burn CPU.
    static let maximumChainLength = 5

    /// `presented`: DER certificates in the order the client sent them, its own first.
    func validate(_ presented: [[UInt8]], now: Date) async -> Result<PeerCertificate, TLSRefusal> {
        guard let leafDER = presented.first else { return .failure(.noCertificate) }
        guard presented.count <= Self.maximumChainLength, Set(presented).count == presented.count else {
            return .failure(.untrusted("the client sent \(presented.count) certificates, repeats among them or more than \(Self.maximumChainLength)"))
        }
        let chain: [Certificate]
        do {
            chain = try presented.map { try Certificate(derEncoded: $0) }
        } catch {
            return .failure(.unreadableCertificate("\(error)"))
        }
        let leaf = chain[0]
        if now > leaf.notValidAfter { return .failure(.expired(notValidAfter: leaf.notValidAfter)) }
        if now < leaf.notValidBefore { return .failure(.notYetValid(notValidBefore: leaf.notValidBefore)) }
        // A certificate that names its uses must name client authentication (a server's cannot log in).
        if let usages = try? leaf.extensions.extendedKeyUsage, !usages.contains(.clientAuth), !usages.contains(.any) {
            return .failure(.untrusted("its extended key usage does not include client authentication"))
        }
        if !allowed.isEmpty, !allowed.contains(leafDER) { return .failure(.notAllowListed) }
        var validated = [leaf]
        if !authorities.isEmpty {
            var verifier = Verifier(rootCertificates: CertificateStore(authorities)) { RFC5280Policy(fixedExpiryValidationTime: now) }
            switch await verifier.validate(leaf: leaf, intermediates: CertificateStore(chain.dropFirst())) {
            case .validCertificate(let path): validated = Array(path)
            case .couldNotValidate(let failures):
                let reasons = Set(failures.map { "\($0.policyFailureReason)" })
                return .failure(.untrusted(reasons.isEmpty ? "it does not chain to a configured CA certificate" : reasons.sorted().joined(separator: "; ")))
            }
        } else if allowed.isEmpty {
            return .failure(.untrusted("no CA certificates are configured"))
        }
        // Every certificate of the path is checked (the CRLs were checked at load to be signed by a configured CA).
        for certificate in validated {
            for list in revocationLists where list.revokes(certificate) {
                return .failure(.revoked(serialNumber: certificate.serialNumber.bytes.map { String(format: "%02x", $0) }.joined()))
            }
        }
        return .success(PeerCertificate(leaf, der: leafDER))
    }
}
