import Synchronization

/// What the certificate check of one TLS connection found, shared by the verification callback (which
/// runs off the event loop), the handshake monitor and the association handler.
final class TLSPeer: Sendable {
    private struct State {
        var certificate: PeerCertificate?
        var refusal: TLSRefusal?
        var presentedSubject: String?
    }
    private let state = Mutex(State())

    func record(_ outcome: Result<PeerCertificate, TLSRefusal>, presentedSubject: String?) {
        state.withLock {
            $0.presentedSubject = presentedSubject
            switch outcome {
            case .success(let certificate): $0.certificate = certificate
            case .failure(let refusal): $0.refusal = refusal
            }
        }
    }

    /// The certificate the client proved it holds, once the handshake accepted it.
    var certificate: PeerCertificate? { state.withLock { $0.certificate } }
    /// Why the certificate check refused it, if it did.
    var refusal: TLSRefusal? { state.withLock { $0.refusal } }
    /// The subject of the certificate the client presented, accepted or not.
    var presentedSubject: String? { state.withLock { $0.presentedSubject } }
}
