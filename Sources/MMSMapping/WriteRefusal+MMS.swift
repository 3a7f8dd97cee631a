import IEC61850Services
import MMS

extension WriteRefusal {
    /// The DataAccessError a client reads.
    package var dataAccessError: DataAccessError {
        switch self {
        case .objectAccessDenied: .objectAccessDenied
        case .objectValueInvalid: .objectValueInvalid
        case .temporarilyUnavailable: .temporarilyUnavailable
        case .typeInconsistent: .typeInconsistent
        case .objectAttributeInconsistent: .objectAttributeInconsistent
        case .hardwareFault: .hardwareFault
        }
    }
}
