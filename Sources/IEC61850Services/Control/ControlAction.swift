import IEC61850Model

/// A control command as handlers see it: what a client asks of one controllable object.
public struct ControlAction: Sendable {
    /// The controllable data object (`GenericIO/GGIO1.SPCSO1`).
    public let object: String
    /// ctlVal: BOOLEAN for SPC and DPC, INT32 for INC, an enumeration for ENC, Tcmd for BSC, INT8 for
    /// ISC; for APC the AnalogueValue's `f` (or `i` when only that is sent).
    public let value: DataValue
    /// A test command: the application must not change the process.
    public let test: Bool
    public let originCategory: Int64
    public let originIdentifier: [UInt8]
    public let controlNumber: UInt8
    /// The client asks for an interlock check (Check bit 1).
    public let interlockCheck: Bool
    /// The client asks for a synchrocheck (Check bit 0).
    public let synchroCheck: Bool
    /// For a time-activated operate: when to execute.
    public let operateTime: Timestamp?
    /// The association the command came from (for access control per client).
    public let connection: ClientConnection
    /// The control model the object had when the command arrived.
    public let model: ControlModel

    /// A command as a client would send it (the server builds these; applications build them to test
    /// their handlers).
    public init(
        object: String, value: DataValue, test: Bool = false, originCategory: Int64 = 3, originIdentifier: [UInt8] = [], controlNumber: UInt8 = 0,
        interlockCheck: Bool = false, synchroCheck: Bool = false, operateTime: Timestamp? = nil,
        connection: ClientConnection = ClientConnection(id: 0, peerAddress: nil), model: ControlModel = .directWithNormalSecurity
    ) {
        self.object = object
        self.value = value
        self.test = test
        self.originCategory = originCategory
        self.originIdentifier = originIdentifier
        self.controlNumber = controlNumber
        self.interlockCheck = interlockCheck
        self.synchroCheck = synchroCheck
        self.operateTime = operateTime
        self.connection = connection
        self.model = model
    }
}

/// What a check handler decides (perform-check: interlocking, synchrocheck, anything else).
public enum CheckResult: Sendable, Equatable {
    case accept
    case refuse(AddCause)
}

/// What a control handler answers: done, failed, or still working.
///
/// A handler runs on the association's event loop, so a quick answer costs no thread switch. Work that
/// takes time (a field write, waiting for a position) returns `.waiting` with the rest of the work as an
/// async closure; the server awaits it, within the control timeout, and answers then.
public enum ControlResult: Sendable {
    case success
    case failure(AddCause)
    case waiting(@Sendable () async -> ControlResult)

    package var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}

/// Handlers of one controllable object; each runs for every command that reaches that stage.
public struct ControlHandlers: Sendable {
    /// Called at select-with-value and at operate, on the association's event loop: keep it short.
    public var check: (@Sendable (ControlAction) -> CheckResult)?
    /// Called before execution; may wait (for example for a synchrocheck window).
    public var waitForExecution: (@Sendable (ControlAction) async -> CheckResult)?
    /// Executes the command (a field write, a simulated action) and reports the result.
    public var control: (@Sendable (ControlAction) -> ControlResult)?

    public init(
        check: (@Sendable (ControlAction) -> CheckResult)? = nil, waitForExecution: (@Sendable (ControlAction) async -> CheckResult)? = nil,
        control: (@Sendable (ControlAction) -> ControlResult)? = nil
    ) {
        self.check = check
        self.waitForExecution = waitForExecution
        self.control = control
    }
}
