import IEC61850Model
import IEC61850Services
import MMS

/// The MMS view of a model (IEC 61850-8-1): one domain per LD, one named variable per LN with its FCs
/// as components, and every name below as its own addressable variable.
package struct MMSNamespace: Sendable {
    package struct Domain: Sendable {
        package let name: String
        /// The rows of every named variable (`GGIO1`, `GGIO1$ST`, `GGIO1$ST$Ind1`, …) in the order of their
        /// names; the names are built from the parents when listed, rather than kept (they would be a good
        /// part of a large model's memory).
        package let sortedRows: [Int32]
        /// The LNs' rows by name; names below an LN are resolved component by component.
        package let logicalNodes: [String: Int32]
        /// Data sets defined in this domain, by item name (`LLN0$Events`).
        package let dataSets: [String: DataSetDefinition]
        /// Journals (logs), by item name (`LLN0$EventLog`).
        package let journals: [String]
        package let table: MMSNodeTable

        /// Every named variable, in name order.
        package var sortedVariables: LazyMapCollection<[Int32], MMSVariable> { sortedRows.lazy.map { [table] in table.variable($0) } }
    }

    /// FC components in the order libIEC61850 puts them inside an LN.
    package static let fcOrder: [FunctionalConstraint] = [.mx, .st, .co, .cf, .dc, .sp, .sg, .rp, .lg, .br, .go, .gs, .sv, .se, .ms, .us, .ex, .sr, .or, .bl]

    package let domains: [Domain]
    private let domainIndex: [String: Int]
    /// Every variable of every domain.
    package let table: MMSNodeTable

    package init(model: IedModel, reportControls: ReportControlLayout, logControls: LogControlLayout) {
        var builder = MMSNodeTable.Builder()
        var laidOut: [(name: String, logicalNodes: [String: Int32], dataSets: [String: DataSetDefinition], journals: [String])] = []
        for device in model.logicalDevices {
            let ldName = device.name(iedName: model.name)
            var logicalNodes: [String: Int32] = [:]
            var dataSets: [String: DataSetDefinition] = [:]
            var journals: [String] = []
            // The first LN of a name is the one served, as the model's own lookups find it (the SCL loader
            // refuses a second; a model built in code may still have one).
            for node in device.logicalNodes where logicalNodes[node.name] == nil {
                logicalNodes[node.name] = builder.addLogicalNode(node, fcOrder: Self.fcOrder) { fc in
                    switch fc {
                    case .rp, .br: reportControls.structures(domain: ldName, logicalNode: node.name, fc: fc)
                    case .lg: logControls.structures(domain: ldName, logicalNode: node.name)
                    default: []
                    }
                }
                for dataSet in node.dataSets { dataSets["\(node.name)$\(dataSet.name)"] = dataSet }
                for log in node.logs { journals.append("\(node.name)$\(log.name)") }
            }
            laidOut.append((ldName, logicalNodes, dataSets, journals.sorted(by: Self.mmsOrder)))
        }
        let table = builder.build()
        var domains = laidOut.map { domain in
            Domain(
                name: domain.name, sortedRows: Self.sortedByName(domain.logicalNodes.values, in: table), logicalNodes: domain.logicalNodes,
                dataSets: domain.dataSets, journals: domain.journals, table: table)
        }
        domains.sort { Self.mmsOrder($0.name, $1.name) }
        self.domains = domains
        self.table = table
        // Two LDs with one name cannot both be served; the first wins (the SCL loader refuses such files).
        self.domainIndex = Dictionary(domains.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    package func domain(named name: String) -> Domain? {
        domainIndex[name].map { domains[$0] }
    }

    /// Resolves a domain-specific variable name.
    ///
    /// Every read and write names its variables this way, so it works on the name's UTF-8 octets: no
    /// `Substring`s, no grapheme breaking, one dictionary lookup for the LN and short octet compares below.
    package func variable(domain: String, item: String) -> MMSVariable? {
        guard let index = domainIndex[domain] else { return nil }
        var item = item
        return item.withUTF8 { octets in
            let dollar = UInt8(ascii: "$")
            let end = octets.firstIndex(of: dollar) ?? octets.count
            let logicalNode = String(decoding: UnsafeBufferPointer(rebasing: octets[..<end]), as: UTF8.self)
            guard let row = domains[index].logicalNodes[logicalNode] else { return nil }
            var current = table.variable(row)
            var start = end
            while start < octets.count {
                start += 1  // past the `$`
                let stop = octets[start...].firstIndex(of: dollar) ?? octets.count
                guard let child = current.child(named: UnsafeBufferPointer(rebasing: octets[start..<stop])) else { return nil }
                current = child
                start = stop
            }
            return current
        }
    }

    /// The rows of every named variable below `logicalNodes` (the components of structures, not the
    /// elements of arrays), ordered by name. The names exist only while sorting, as their collation
    /// weights (``collationWeight``, one octet each) one after another in one buffer: a 100,000-point model
    /// has half a million names, and comparing weight octets is a fraction of the cost of collating
    /// `String`s.
    private static func sortedByName(_ logicalNodes: some Sequence<Int32>, in table: MMSNodeTable) -> [Int32] {
        var weights: [UInt8] = []
        var names: [(start: Int32, count: Int32, row: Int32)] = []
        let separator = UInt8(collationWeight[Int(UInt8(ascii: "$"))])
        for node in logicalNodes {
            var path: [UInt8] = []
            func visit(_ variable: MMSVariable) {
                let mark = path.count
                if mark > 0 { path.append(separator) }
                for octet in variable.name.utf8 { path.append(UInt8(collationWeight[Int(octet)])) }
                names.append((Int32(weights.count), Int32(path.count), variable.row))
                weights.append(contentsOf: path)
                if case .structure(let children) = variable.content { for child in children { visit(child) } }
                path.removeSubrange(mark...)
            }
            visit(table.variable(node))
        }
        weights.withUnsafeBufferPointer { weights in
            names.sort { lhs, rhs in
                let common = Int(min(lhs.count, rhs.count))
                var left = Int(lhs.start)
                var right = Int(rhs.start)
                for _ in 0..<common {
                    if weights[left] != weights[right] { return weights[left] < weights[right] }
                    left += 1
                    right += 1
                }
                return lhs.count < rhs.count
            }
        }
        return names.map(\.row)
    }

    /// The identifier collation of ISO 9506-2 (7.5.2), as libIEC61850 sorts name lists: `AaBb…Zz$_0…9`,
    /// other characters before those, and a name before every longer name it begins.
    package static func mmsOrder(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8) { collationWeight[Int($0)] < collationWeight[Int($1)] }
    }

    private static let collationWeight: [Int] = {
        let order = Array("AaBbCcDdEeFfGgHhIiJjKkLlMmNnOoPpQqRrSsTtUuVvWwXxYyZz$_0123456789".utf8)
        var weights = [Int](repeating: 0, count: 256)
        var weight = 1
        for byte in 1..<256 where !order.contains(UInt8(byte)) {
            weights[byte] = weight
            weight += 1
        }
        for byte in order {
            weights[Int(byte)] = weight
            weight += 1
        }
        return weights
    }()

}
