/// The reason of a RejectPDU.
public enum RejectReason: Sendable, Equatable {
    public enum ConfirmedRequestProblem: Int64, Sendable {
        case other = 0
        case unrecognizedService = 1
        case unrecognizedModifier = 2
        case invalidInvokeID = 3
        case invalidArgument = 4
        case invalidModifier = 5
        case maxServiceOutstandingExceeded = 6
        case maxRecursionExceeded = 8
        case valueOutOfRange = 9
    }

    public enum PDUErrorProblem: Int64, Sendable {
        case unknownPDUType = 0
        case invalidPDU = 1
        case illegalACSEMapping = 2
    }

    case confirmedRequest(ConfirmedRequestProblem)
    case pduError(PDUErrorProblem)

    /// The context tag number of the rejectReason CHOICE and the problem code.
    var tagAndCode: (UInt32, Int64) {
        switch self {
        case .confirmedRequest(let problem): (1, problem.rawValue)
        case .pduError(let problem): (5, problem.rawValue)
        }
    }
}
