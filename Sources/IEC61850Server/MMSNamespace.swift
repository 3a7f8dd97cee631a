import IEC61850Model
import MMS

/// The MMS view of a model (IEC 61850-8-1): one domain per LD, one named variable per LN with its FCs
/// as components, and every name below as its own addressable variable.
struct MMSNamespace: Sendable {
    struct Domain: Sendable {
        let name: String
        /// Every named variable (`GGIO1`, `GGIO1$ST`, `GGIO1$ST$Ind1`, …) in the order of their names; the
        /// names are built from the parents when listed, rather than kept (they would be a good part of a
        /// large model's memory).
        let sortedVariables: [MMSVariable]
        /// The LNs by name; names below an LN are resolved component by component.
        let logicalNodes: [String: MMSVariable]
        /// Data sets defined in this domain, by item name (`LLN0$Events`).
        let dataSets: [String: DataSetDefinition]
        /// Journals (logs), by item name (`LLN0$EventLog`).
        let journals: [String]
    }

    /// FC components in the order libIEC61850 puts them inside an LN.
    static let fcOrder: [FunctionalConstraint] = [.mx, .st, .co, .cf, .dc, .sp, .sg, .rp, .lg, .br, .go, .gs, .sv, .se, .ms, .us, .ex, .sr, .or, .bl]

    let domains: [Domain]
    private let domainIndex: [String: Int]

    init(model: IedModel, reportControls: ReportControlLayout, logControls: LogControlLayout) {
        var domains: [Domain] = []
        for device in model.logicalDevices {
            let ldName = device.name(iedName: model.name)
            var logicalNodes: [String: MMSVariable] = [:]
            var dataSets: [String: DataSetDefinition] = [:]
            var journals: [String] = []
            for node in device.logicalNodes {
                var fcVariables: [MMSVariable] = []
                for fc in Self.fcOrder {
                    var objects = node.dataObjects.compactMap { object in Self.variable(for: object, fc: fc) }
                    if fc == .rp || fc == .br { objects += reportControls.variables(domain: ldName, logicalNode: node.name, fc: fc) }
                    if fc == .lg { objects += logControls.variables(domain: ldName, logicalNode: node.name) }
                    guard !objects.isEmpty else { continue }
                    fcVariables.append(MMSVariable(name: fc.rawValue, content: .structure(objects), fc: fc))
                }
                let lnVariable = MMSVariable(name: node.name, content: .structure(fcVariables), fc: nil)
                logicalNodes[node.name] = lnVariable
                for dataSet in node.dataSets { dataSets["\(node.name)$\(dataSet.name)"] = dataSet }
                for log in node.logs { journals.append("\(node.name)$\(log.name)") }
            }
            domains.append(
                Domain(
                    name: ldName, sortedVariables: Self.sortedByName(logicalNodes.values), logicalNodes: logicalNodes, dataSets: dataSets,
                    journals: journals.sorted(by: Self.mmsOrder)))
        }
        domains.sort { Self.mmsOrder($0.name, $1.name) }
        self.domains = domains
        // Two LDs with one name cannot both be served; the first wins (the SCL loader refuses such files).
        self.domainIndex = Dictionary(domains.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    func domain(named name: String) -> Domain? {
        domainIndex[name].map { domains[$0] }
    }

    /// Resolves a domain-specific variable name.
    func variable(domain: String, item: String) -> MMSVariable? {
        guard let index = domainIndex[domain] else { return nil }
        var parts = item.split(separator: "$", omittingEmptySubsequences: false)[...]
        guard let first = parts.popFirst(), var current = domains[index].logicalNodes[String(first)] else { return nil }
        while let part = parts.popFirst() {
            guard let child = current.child(named: part) else { return nil }
            current = child
        }
        return current
    }

    /// Every named variable below `logicalNodes`, ordered by name. The names exist only while sorting.
    private static func sortedByName(_ logicalNodes: some Sequence<MMSVariable>) -> [MMSVariable] {
        var named: [(String, MMSVariable)] = []
        for node in logicalNodes {
            var path: [String] = []
            func visit(_ variable: MMSVariable) {
                path.append(variable.name)
                named.append((path.joined(separator: "$"), variable))
                if case .structure(let children) = variable.content { for child in children { visit(child) } }
                path.removeLast()
            }
            visit(node)
        }
        named.sort { mmsOrder($0.0, $1.0) }
        return named.map(\.1)
    }

    /// The identifier collation of ISO 9506-2 (7.5.2), as libIEC61850 sorts name lists: `AaBb…Zz$_0…9`,
    /// other characters before those, and a name before every longer name it begins.
    static func mmsOrder(_ lhs: String, _ rhs: String) -> Bool {
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

    /// The part of a data object that carries `fc`, or nil when none of it does.
    private static func variable(for object: DataObject, fc: FunctionalConstraint) -> MMSVariable? {
        if let elements = object.elements {
            let items = elements.compactMap { element in variable(for: element, fc: fc) }
            guard items.count == elements.count, !items.isEmpty else { return nil }
            return MMSVariable(name: object.name, content: .array(items), fc: fc)
        }
        let children = object.children.compactMap { child -> MMSVariable? in
            switch child {
            case .object(let sub): variable(for: sub, fc: fc)
            case .attribute(let attribute): attribute.fc == fc ? variable(for: attribute) : nil
            }
        }
        guard !children.isEmpty else { return nil }
        return MMSVariable(name: object.name, content: .structure(children), fc: fc)
    }

    private static func variable(for attribute: DataAttribute) -> MMSVariable {
        switch attribute.content {
        case .basic(let type, let slot): MMSVariable(name: attribute.name, content: .leaf(type, slot: slot), fc: attribute.fc)
        case .constructed(let components): MMSVariable(name: attribute.name, content: .structure(components.map(variable(for:))), fc: attribute.fc)
        case .array(let elements): MMSVariable(name: attribute.name, content: .array(elements.map(variable(for:))), fc: attribute.fc)
        }
    }
}
