/// A logical device: an LN0 and its other logical nodes.
public struct LogicalDevice: Sendable, Equatable {
    /// The LD instance name (`GenericIO`).
    public var inst: String
    /// An explicit LD name (SCL `ldName`), used instead of IED name + inst when present.
    public var ldName: String?
    public var logicalNodes: [LogicalNode]

    public init(inst: String, ldName: String? = nil, logicalNodes: [LogicalNode]) {
        self.inst = inst
        self.ldName = ldName
        self.logicalNodes = logicalNodes
    }

    /// The full LD name for an IED: `ldName`, or IED name + inst.
    public func name(iedName: String) -> String { ldName ?? iedName + inst }

    public func logicalNode(named name: Substring) -> LogicalNode? {
        logicalNodes.first { $0.name == name }
    }
}
