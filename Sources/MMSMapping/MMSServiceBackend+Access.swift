import IEC61850Model
import IEC61850Services
import NIOCore

/// Access control (``AccessPolicy``): every service that changes something asks first.
extension MMSServiceBackend {
    /// Whether the association may do this. A refusal is logged and recorded as a security event
    /// (repeats of one kind by one role summarised); the caller answers with its protocol's refusal.
    package func permitted(_ kind: AccessRequest.Kind, _ reference: @autoclosure () -> String, session: SessionContext) -> Bool {
        let policy = session.access
        if policy.isUnrestricted { return true }
        let request = AccessRequest(kind: kind, reference: reference(), connection: session.connection)
        if policy.permits(request) { return true }
        let what = "\(policy.name) may not \(kind.words)"
        logger.warning("refused: \(what)", metadata: ["peer": "\(session.connection.peerAddress ?? "?")", "reference": "\(request.reference)"])
        let now = NIODeadline.now().uptimeNanoseconds
        if let recorded = refusals.withLock({ $0.admit("access: \(what)", now: now) }) {
            events.notify(.accessDenied(session.connection, reason: "\(recorded.dropFirst("access: ".count)): \(request.reference)"))
        }
        return false
    }

    /// The access a write to this variable needs: nil for what any association may write (subscribing to
    /// reports: a report control block's attributes but DatSet).
    package func accessNeeded(toWrite variable: MMSVariable) -> AccessRequest.Kind? {
        switch variable.fc {
        case .rp?, .br?: variable.name == "DatSet" ? .configureControlBlock : nil
        case .lg?: .configureControlBlock
        default: .writeSetting
        }
    }
}
