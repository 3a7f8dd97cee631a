/// The logical devices and nodes of a model by name, so that resolving a reference costs two dictionary
/// lookups rather than a search of every LN.
///
/// A gateway resolves each of its points when it starts: with 100,000 points in 1,000 LNs, searching
/// the LNs in order (building each LN's name to compare it) took 35 s; with the index, well under one.
struct ModelIndex: Sendable {
    /// Device positions by full LD name and by LD instance; the first device to claim a name keeps it.
    private var devices: [String: Int] = [:]
    /// Per device, LN positions by LN name (the first LN of a name keeps it).
    private var logicalNodes: [[String: Int]] = []

    init(iedName: String, logicalDevices: [LogicalDevice]) {
        for (position, device) in logicalDevices.enumerated() {
            // In order, name before instance: the device the former linear search found first wins.
            if devices[device.name(iedName: iedName)] == nil { devices[device.name(iedName: iedName)] = position }
            if devices[device.inst] == nil { devices[device.inst] = position }
            var nodes: [String: Int] = [:]
            for (index, node) in device.logicalNodes.enumerated() where nodes[node.name] == nil { nodes[node.name] = index }
            logicalNodes.append(nodes)
        }
    }

    /// The position of the device named `name` (full LD name or instance).
    func device(named name: Substring) -> Int? { devices[String(name)] }

    /// The position of the LN named `name` in the device at `device`.
    func logicalNode(named name: Substring, inDevice device: Int) -> Int? { logicalNodes[device][String(name)] }
}
