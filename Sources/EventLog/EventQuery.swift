import IEC61850Services

/// Which events a listing wants: a time range, a reference prefix and kinds.
public struct EventQuery: Sendable, Equatable {
    /// UTC milliseconds, inclusive.
    public var from: UInt64?
    public var to: UInt64?
    /// Events whose reference starts with this (`GenericIO/GGIO1` takes every attribute below it).
    public var referencePrefix: String?
    /// Empty: every kind.
    public var kinds: Set<GatewayEvent.Kind>
    /// Only events after this row (for following the log).
    public var afterID: Int64?

    public init(from: UInt64? = nil, to: UInt64? = nil, referencePrefix: String? = nil, kinds: Set<GatewayEvent.Kind> = [], afterID: Int64? = nil) {
        self.from = from
        self.to = to
        self.referencePrefix = referencePrefix
        self.kinds = kinds
        self.afterID = afterID
    }
}
