import IEC61850Services

/// An open association as an operator sees it: who, since when, with which rights, and the report
/// control blocks it has enabled. See ``IedServer/associations``.
public struct AssociationStatus: Sendable, Equatable {
    public let connection: ClientConnection
    /// When the association was accepted (UTC ms).
    public let sinceMilliseconds: UInt64
    /// The access policy it was admitted with: a role (`viewer`, `operator`, `engineer`, …) or `unrestricted`.
    public let access: String
    /// The report control blocks it owns and has enabled (`GenericIO/LLN0.BR.brcbEvents01`).
    public var enabledReportControlBlocks: [String]

    public init(connection: ClientConnection, sinceMilliseconds: UInt64, access: String, enabledReportControlBlocks: [String] = []) {
        self.connection = connection
        self.sinceMilliseconds = sinceMilliseconds
        self.access = access
        self.enabledReportControlBlocks = enabledReportControlBlocks
    }
}
