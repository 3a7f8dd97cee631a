/// DataAccessError codes of a failed AccessResult or write result (ISO 9506-2).
public enum DataAccessError: Int64, Error, Sendable, CaseIterable {
    case objectInvalidated = 0
    case hardwareFault = 1
    case temporarilyUnavailable = 2
    case objectAccessDenied = 3
    case objectUndefined = 4
    case invalidAddress = 5
    case typeUnsupported = 6
    case typeInconsistent = 7
    case objectAttributeInconsistent = 8
    case objectAccessUnsupported = 9
    case objectNonExistent = 10
    case objectValueInvalid = 11
}
