/// What an association may do besides browsing, reading, subscribing to reports and reading logs, which
/// every admitted association may.
public struct AccessRights: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Select, operate and cancel controllable objects (FC CO; the read of SBO that selects).
    public static let control = AccessRights(rawValue: 1 << 0)
    /// Write settings: FCs SP, SE and SV.
    public static let writeSettings = AccessRights(rawValue: 1 << 1)
    /// Configure: a report control block's DatSet, the attributes of log control blocks, and the creation
    /// and deletion of data sets.
    public static let configure = AccessRights(rawValue: 1 << 2)

    public static let all: AccessRights = [.control, .writeSettings, .configure]
}

/// The roles an integrator hands out: each includes the one before it.
public enum Role: String, Sendable, CaseIterable, Comparable {
    /// Browse, read, receive reports, read logs.
    case viewer
    /// A viewer who may also operate controls.
    case `operator`
    /// An operator who may also write settings, configure control blocks and create data sets.
    case engineer

    public var rights: AccessRights {
        switch self {
        case .viewer: []
        case .operator: [.control]
        case .engineer: .all
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
