/// What a running node of a redundant pair says about itself, written every second to its state folder
/// for `iec61850-gateway health` (keepalived's track script) and `iec61850-gateway role`.
public struct NodeStatus: Sendable, Codable, Equatable {
    /// The node's name (`redundancy: node:`).
    public var node: String
    /// The role the node has now.
    public var role: GatewayRole
    /// The role keepalived last asked for (the role file), if any.
    public var requested: GatewayRole?
    /// Whether the node can serve: its server runs, some field source answers, and it has the role asked for.
    public var healthy: Bool
    /// Why it cannot, when it cannot.
    public var reason: String?
    /// The gateway's process.
    public var pid: Int32
    /// When this was written (milliseconds since 1970).
    public var timeMilliseconds: UInt64

    public init(
        node: String, role: GatewayRole, requested: GatewayRole?, healthy: Bool, reason: String?, pid: Int32, timeMilliseconds: UInt64
    ) {
        self.node = node
        self.role = role
        self.requested = requested
        self.healthy = healthy
        self.reason = reason
        self.pid = pid
        self.timeMilliseconds = timeMilliseconds
    }
}
