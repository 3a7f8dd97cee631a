import Foundation
import Logging
import NIOCore
import NIOSSL
import Synchronization
import X509

/// The TLS material in use, replaced whole on a reload: a connection takes the material current when it
/// is accepted and keeps it, so a reload never disturbs an established session.
final class TLSMaterialStore: Sendable {
    let settings: TLSSettings
    private let material: Mutex<TLSMaterial>
    /// The last reload failure, so that a broken file is reported once and not every few seconds.
    private let lastFailure = Mutex<TLSError?>(nil)
    private let logger: Logger

    init(settings: TLSSettings, logger: Logger) throws(TLSError) {
        self.settings = settings
        self.logger = logger
        let loaded = try TLSMaterial.load(settings)
        material = Mutex(loaded)
        for warning in loaded.warnings { logger.warning("\(warning)") }
    }

    var current: TLSMaterial { material.withLock { $0 } }

    /// Reads the files again; on success new connections use them, on failure the old material stays.
    @discardableResult
    func reload() throws(TLSError) -> [String] {
        let loaded: TLSMaterial
        do {
            loaded = try TLSMaterial.load(settings)
        } catch {
            let isNew = lastFailure.withLock { last in
                defer { last = error }
                return last != error
            }
            if isNew { logger.error("TLS reload failed; the previous certificates stay in use", metadata: ["error": "\(error)"]) }
            throw error
        }
        material.withLock { $0 = loaded }
        lastFailure.withLock { $0 = nil }
        logger.notice("TLS certificates, key and CRLs reloaded; new connections use them")
        for warning in loaded.warnings { logger.warning("\(warning)") }
        return loaded.warnings
    }

    /// Reloads when a file changed since it was read (the periodic check).
    func reloadIfChanged() {
        guard current.filesChanged() else { return }
        _ = try? reload()
    }

    /// The TLS handler for a new connection, with the certificate check that fills `peer`.
    func makeHandler(peer: TLSPeer) -> NIOSSLServerHandler {
        let material = current
        let validator = material.validator
        return NIOSSLServerHandler(context: material.context) { presented, promise in
            let der = presented.map { (try? $0.toDERBytes()) ?? [] }  // one that cannot be encoded fails the check
            Task {
                let outcome = await validator.validate(der, now: Date())
                peer.record(outcome, presentedSubject: der.first.flatMap { try? Certificate(derEncoded: $0).subject.description })
                if case .success = outcome { promise.succeed(.certificateVerified) } else { promise.succeed(.failed) }
            }
        }
    }
}
