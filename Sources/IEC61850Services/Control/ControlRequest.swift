import IEC61850Model

/// A control service request (Oper, SBOw or Cancel) in model terms, as the protocol mapping decoded it.
package struct ControlRequest: Sendable {
    package enum Service: String, Sendable {
        case operate = "Oper"
        case selectWithValue = "SBOw"
        case cancel = "Cancel"
    }

    package let parameters: ControlStateMachine.Parameters
    /// For a time-activated operate: when to execute (nil: now).
    package let operateTime: Timestamp?

    package init(parameters: ControlStateMachine.Parameters, operateTime: Timestamp?) {
        self.parameters = parameters
        self.operateTime = operateTime
    }
}

/// Why a command failed, as LastApplError tells a client (IEC 61850-8-1 20.12); the mapping adds the
/// object's name and sends it.
package struct LastApplError: Sendable, Equatable {
    /// The object (its index among the controllable objects) and the service that failed.
    package let object: Int
    package let service: ControlRequest.Service
    /// 0 no-error (refusals, as libIEC61850 sends), 1 unknown (failed execution), 2 timeout-test-not-ok.
    package let error: Int64
    package let originCategory: Int64
    package let originIdentifier: [UInt8]
    package let controlNumber: UInt8
    package let cause: AddCause

    package init(
        object: Int, service: ControlRequest.Service, error: Int64, originCategory: Int64, originIdentifier: [UInt8], controlNumber: UInt8,
        cause: AddCause
    ) {
        self.object = object
        self.service = service
        self.error = error
        self.originCategory = originCategory
        self.originIdentifier = originIdentifier
        self.controlNumber = controlNumber
        self.cause = cause
    }
}

/// Where a command's later outcomes go, from any thread, in order: the mapping turns each into its PDU.
package struct ControlResponder: Sendable {
    /// A LastApplError that goes out ahead of the answer being written (a failed direct operate).
    package var lastApplError: @Sendable (LastApplError) -> Void
    /// CommandTermination (nil: positive) after the answer (enhanced security, time-activated operates).
    package var terminate: @Sendable (LastApplError?) -> Void
    /// The deferred answer of a direct operate: positive, or negative (`failed`).
    package var respondLater: @Sendable (_ failed: Bool) -> Void

    package init(
        lastApplError: @escaping @Sendable (LastApplError) -> Void, terminate: @escaping @Sendable (LastApplError?) -> Void,
        respondLater: @escaping @Sendable (_ failed: Bool) -> Void
    ) {
        self.lastApplError = lastApplError
        self.terminate = terminate
        self.respondLater = respondLater
    }
}
