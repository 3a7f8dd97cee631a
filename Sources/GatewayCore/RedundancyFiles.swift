import Foundation

/// The state folder of a node of a redundant pair: `role`, the role keepalived's notify script asks for
/// (`iec61850-gateway role active|standby`), which the running gateway follows; and `status.json`, what
/// the gateway says about itself every second (``NodeStatus``), which the health check reads.
///
/// Files, not a socket: the request outlives a restart of the gateway, so a gateway that restarts while
/// keepalived holds the virtual address finds out it is expected to be active (and, having come back as
/// the standby, fails its health check until keepalived moves the address); and both commands work
/// whether or not the gateway runs, as the scripts need.
public struct RedundancyFiles: Sendable, Equatable {
    /// The state folder when the configuration names none: `/run/iec61850-gateway`, the unit's
    /// RuntimeDirectory (the scripts run outside the unit, so the folder cannot come from its environment).
    public static let defaultDirectory = "/run/iec61850-gateway"

    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The folder of a configuration's `redundancy:` section.
    public init(_ redundancy: GatewayConfiguration.Redundancy) {
        self.init(directory: redundancy.stateDirectory ?? Self.defaultDirectory)
    }

    public var rolePath: String { (directory as NSString).appendingPathComponent("role") }
    public var statusPath: String { (directory as NSString).appendingPathComponent("status.json") }

    /// The role asked for, with the file's modification time (seconds since 1970); nil without a file
    /// or with one that names no role.
    public func requestedRole() -> (role: GatewayRole, modified: Double)? {
        guard let data = FileManager.default.contents(atPath: rolePath),
            let text = String(data: data, encoding: .utf8),
            let role = GatewayRole(rawValue: text.trimmingCharacters(in: .whitespacesAndNewlines))
        else { return nil }
        var info = stat()
        let modified = stat(rolePath, &info) == 0 ? Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9 : 0
        return (role, modified)
    }

    /// Asks for `role`: replaces the role file in one step (a reader never sees half of it).
    public func request(_ role: GatewayRole) throws {
        try write(Data((role.rawValue + "\n").utf8), to: rolePath)
    }

    /// What the gateway last said about itself.
    public func status() -> NodeStatus? {
        FileManager.default.contents(atPath: statusPath).flatMap { try? JSONDecoder().decode(NodeStatus.self, from: $0) }
    }

    /// Replaces the status file in one step.
    public func write(_ status: NodeStatus) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try write(try encoder.encode(status), to: statusPath)
    }

    /// Creates the folder if it is missing (readable by all: the scripts and the gateway may run as
    /// different users).
    public func prepare() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    private func write(_ data: Data, to path: String) throws {
        let temporary = path + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o644]) else {
            throw RedundancyError(path: path, reason: "cannot write \(temporary): \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw RedundancyError(path: path, reason: "cannot replace it: \(reason)")
        }
    }
}
