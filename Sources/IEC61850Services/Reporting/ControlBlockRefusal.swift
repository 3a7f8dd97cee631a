/// Why a client's write into a report or log control block changed nothing; the MMS mapping answers each
/// with its DataAccessError.
package enum ControlBlockRefusal: Error, Sendable, Equatable {
    /// No control block attribute at that place.
    case nonExistent
    /// Enabled, or reserved by another client.
    case temporarilyUnavailable
    /// The block belongs to another client.
    case accessDenied
    /// The value is outside what the attribute (or the server's limits) admits.
    case valueInvalid
    /// The value does not fit the block's other settings (a LogRef that names no log).
    case inconsistent
    /// The value has the wrong type.
    case typeInconsistent
}
