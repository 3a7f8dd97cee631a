import IEC61850Model
import MMS

/// The MMS view of a model (IEC 61850-8-1): one domain per LD, one named variable per LN with its FCs
/// as components, and every name below as its own addressable variable.
struct MMSNamespace: Sendable {
    struct Domain: Sendable {
        let name: String
        /// Every variable name (`GGIO1`, `GGIO1$ST`, `GGIO1$ST$Ind1`, …) in sorted order.
        let sortedNames: [String]
        let variables: [String: MMSVariable]
        /// Data sets defined in this domain, by item name (`LLN0$Events`).
        let dataSets: [String: DataSetDefinition]
        /// Journals (logs), by item name (`LLN0$EventLog`).
        let journals: [String]
    }

    /// FC components in the order libIEC61850 puts them inside an LN.
    static let fcOrder: [FunctionalConstraint] = [.mx, .st, .co, .cf, .dc, .sp, .sg, .rp, .lg, .br, .go, .gs, .sv, .se, .ms, .us, .ex, .sr, .or, .bl]

    let domains: [Domain]
    private let domainIndex: [String: Int]

    init(model: IedModel, reportControls: ReportControlLayout) {
        var domains: [Domain] = []
        for device in model.logicalDevices {
            let ldName = device.name(iedName: model.name)
            var variables: [String: MMSVariable] = [:]
            var dataSets: [String: DataSetDefinition] = [:]
            var journals: [String] = []
            for node in device.logicalNodes {
                var fcVariables: [MMSVariable] = []
                for fc in Self.fcOrder {
                    var objects = node.dataObjects.compactMap { object in
                        Self.variable(for: object, fc: fc, reference: "\(device.inst)/\(node.name).\(object.name)")
                    }
                    if fc == .rp || fc == .br { objects += reportControls.variables(domain: ldName, logicalNode: node.name, fc: fc) }
                    guard !objects.isEmpty else { continue }
                    fcVariables.append(MMSVariable(name: fc.rawValue, content: .structure(objects), fc: fc, reference: "\(device.inst)/\(node.name)"))
                }
                let lnVariable = MMSVariable(name: node.name, content: .structure(fcVariables), fc: nil, reference: "\(device.inst)/\(node.name)")
                Self.register(lnVariable, path: node.name, into: &variables)
                for dataSet in node.dataSets { dataSets["\(node.name)$\(dataSet.name)"] = dataSet }
                for log in node.logs { journals.append("\(node.name)$\(log.name)") }
            }
            domains.append(
                Domain(
                    name: ldName, sortedNames: variables.keys.sorted(by: Self.mmsOrder), variables: variables, dataSets: dataSets,
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
        return domains[index].variables[item]
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

    private static func register(_ variable: MMSVariable, path: String, into variables: inout [String: MMSVariable]) {
        variables[path] = variable
        if case .structure(let children) = variable.content {
            for child in children { register(child, path: path + "$" + child.name, into: &variables) }
        }
    }

    /// The part of a data object that carries `fc`, or nil when none of it does.
    private static func variable(for object: DataObject, fc: FunctionalConstraint, reference: String) -> MMSVariable? {
        if let elements = object.elements {
            let items = elements.enumerated().compactMap { index, element in
                variable(for: element, fc: fc, reference: "\(reference)(\(index))")
            }
            guard items.count == elements.count, !items.isEmpty else { return nil }
            return MMSVariable(name: object.name, content: .array(items), fc: fc, reference: reference)
        }
        let children = object.children.compactMap { child -> MMSVariable? in
            switch child {
            case .object(let sub): variable(for: sub, fc: fc, reference: "\(reference).\(sub.name)")
            case .attribute(let attribute):
                attribute.fc == fc ? variable(for: attribute, reference: "\(reference).\(attribute.name)") : nil
            }
        }
        guard !children.isEmpty else { return nil }
        return MMSVariable(name: object.name, content: .structure(children), fc: fc, reference: reference)
    }

    private static func variable(for attribute: DataAttribute, reference: String) -> MMSVariable {
        switch attribute.content {
        case .basic(let type, let slot):
            return MMSVariable(name: attribute.name, content: .leaf(type, slot: slot), fc: attribute.fc, reference: reference)
        case .constructed(let components):
            return MMSVariable(
                name: attribute.name, content: .structure(components.map { variable(for: $0, reference: "\(reference).\($0.name)") }),
                fc: attribute.fc, reference: reference)
        case .array(let elements):
            return MMSVariable(
                name: attribute.name,
                content: .array(elements.enumerated().map { index, element in variable(for: element, reference: "\(reference)(\(index))") }),
                fc: attribute.fc, reference: reference)
        }
    }
}
