#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Loads an IED model from an SCL file (ICD, CID, IID or SCD) at run time.
///
/// The loader reads `DataTypeTemplates` (LNodeType, DOType, DAType, EnumType), the IED's
/// `AccessPoint/Server/LDevice` tree with instance values (`DOI`/`SDI`/`DAI`/`Val`), and the
/// definitions in each LN (`DataSet`, `ReportControl`, `LogControl`, `Log`, `SettingControl`).
public struct SCLLoader: Sendable {
    /// Which IED of the file to load (nil = the first one).
    public var iedName: String?
    /// Serve the IED under this name instead of the one in the file.
    public var renameTo: String?
    /// When `iedName` is not in a file that has one IED, serve that IED under `iedName` instead of failing
    /// (`run --ied` on an ICD); a file of several IEDs still fails, listing their names.
    public var renamesOnlyIED: Bool

    public init(iedName: String? = nil, renameTo: String? = nil, renamesOnlyIED: Bool = false) {
        self.iedName = iedName
        self.renameTo = renameTo
        self.renamesOnlyIED = renamesOnlyIED
    }

    /// Loads the model from a file.
    public func load(file path: String) throws(SCLError) -> IedModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SCLError(.unreadable, file: path, line: 0, element: "SCL", message: "cannot read the file")
        }
        return try load(data: data, fileName: path)
    }

    /// Loads the model from SCL text; `fileName` appears in error messages.
    public func load(data: Data, fileName: String) throws(SCLError) -> IedModel {
        let root: XMLElementNode
        do {
            // Of an SCD's IEDs only the one served is built; the others are read and checked, and keep
            // their attributes (an error can then list their names). The first is built too when it may be
            // served under another name.
            var chosen = false
            var first = true
            root = try XMLElementNode.parse(bytes: data) { [iedName, renamesOnlyIED] depth, element in
                guard depth == 1, element.name == "IED" else { return true }
                defer { first = false }
                if !chosen, iedName == nil || element["name"] == iedName {
                    chosen = true
                    return true
                }
                return first && renamesOnlyIED
            }
        } catch {
            throw SCLError(.malformedXML, file: fileName, line: error.line, element: "SCL", message: error.message)
        }
        var context = SCLContext(file: fileName)
        return try context.model(from: root, iedName: iedName, renameTo: renameTo, renamesOnlyIED: renamesOnlyIED)
    }
}

/// The state of one load: the file name and the type templates, indexed by id.
struct SCLContext {
    let file: String
    var lNodeTypes: [String: XMLElementNode] = [:]
    var doTypes: [String: XMLElementNode] = [:]
    var daTypes: [String: XMLElementNode] = [:]
    var enumTypes: [String: [String: Int64]] = [:]
    private var doTypeCache: [String: DataObjectSpec] = [:]
    /// Basic attributes so far, arrays expanded.
    private var leaves = 0
    /// Every FCDA read, with its element, to check against the built model.
    private var dataSetMembers: [(DataSetMember, XMLElementNode)] = []

    /// The most elements an array (`count`) may have.
    static let maximumArrayCount = 10_000
    /// The most basic attributes a model may have, arrays expanded (100,000 points are about 1.5 million).
    static let maximumLeaves = 20_000_000

    init(file: String) {
        self.file = file
    }

    /// An array's `count` attribute: absent is 0 (no array); otherwise 0…``maximumArrayCount``.
    func count(of node: XMLElementNode) throws(SCLError) -> Int {
        guard let text = node["count"] else { return 0 }
        guard let count = Int(text), (0...Self.maximumArrayCount).contains(count) else {
            throw error(
                Int(text) == nil ? .invalidValue : .tooLarge, node, "count '\(text)' is not a number from 0 to \(Self.maximumArrayCount)")
        }
        return count
    }

    /// The basic attributes a data object stands for, its arrays expanded; counting stops past `limit`.
    static func leaves(of object: DataObjectSpec, limit: Int) -> Int {
        var total = 0
        for child in object.children {
            switch child {
            case .object(let sub): total += leaves(of: sub, limit: limit)
            case .attribute(let attribute): total += leaves(of: attribute, limit: limit)
            }
            if total > limit { return total }
        }
        return total.multipliedReportingOverflow(by: max(1, object.count)).overflow ? limit + 1 : total * max(1, object.count)
    }

    static func leaves(of attribute: DataAttributeSpec, limit: Int) -> Int {
        var total = 0
        switch attribute.kind {
        case .basic: total = 1
        case .constructed(let components):
            for component in components {
                total += leaves(of: component, limit: limit)
                if total > limit { return total }
            }
        }
        return total.multipliedReportingOverflow(by: max(1, attribute.count)).overflow ? limit + 1 : total * max(1, attribute.count)
    }

    func error(_ kind: SCLError.Kind, _ node: XMLElementNode, _ message: String) -> SCLError {
        SCLError(kind, file: file, line: node.line, element: node.name, message: message)
    }

    func required(_ node: XMLElementNode, _ attribute: String) throws(SCLError) -> String {
        guard let value = node[attribute] else { throw error(.missing, node, "attribute '\(attribute)' is missing") }
        return value
    }

    mutating func model(from root: XMLElementNode, iedName: String?, renameTo: String?, renamesOnlyIED: Bool) throws(SCLError) -> IedModel {
        guard root.name == "SCL" else { throw error(.missing, root, "the root element is not <SCL>") }
        if let templates = root.child(named: "DataTypeTemplates") { try index(templates) }
        let ieds = root.children(named: "IED")
        var renameTo = renameTo
        var chosen = iedName.map({ name in ieds.first { $0["name"] == name } }) ?? ieds.first
        if chosen == nil, renamesOnlyIED, let iedName, ieds.count == 1 {
            chosen = ieds[0]
            renameTo = iedName
        }
        guard let ied = chosen else {
            if let iedName {
                let names = ieds.compactMap { $0["name"] }
                let listed = names.count > 20 ? "\(names.count) IEDs: " + names.prefix(20).joined(separator: ", ") + ", …" : names.joined(separator: ", ")
                throw error(.unresolvedReference, root, "no IED named '\(iedName)' (the file has: \(listed))")
            }
            throw error(.missing, root, "the file has no <IED>")
        }
        let name = try required(ied, "name")
        var builder = IedModelBuilder(iedName: renameTo ?? name)
        for accessPoint in ied.children(named: "AccessPoint") {
            guard let server = accessPoint.child(named: "Server") else { continue }
            for device in server.children(named: "LDevice") {
                let spec = try logicalDevice(device)
                let ldName = spec.ldName ?? (renameTo ?? name) + spec.inst
                guard !builder.logicalDevices.contains(where: { ($0.ldName ?? (renameTo ?? name) + $0.inst) == ldName }) else {
                    throw error(.invalidValue, device, "a second logical device named '\(ldName)'")
                }
                builder.addLogicalDevice(spec)
            }
        }
        guard !builder.logicalDevices.isEmpty else { throw error(.missing, ied, "IED '\(name)' has no <LDevice> under AccessPoint/Server") }
        let model = builder.build()
        try validateDataSetMembers(in: model)
        return model
    }

    mutating func index(_ templates: XMLElementNode) throws(SCLError) {
        for node in templates.children {
            switch node.name {
            case "LNodeType": lNodeTypes[try required(node, "id")] = node
            case "DOType": doTypes[try required(node, "id")] = node
            case "DAType": daTypes[try required(node, "id")] = node
            case "EnumType":
                var values: [String: Int64] = [:]
                for value in node.children(named: "EnumVal") {
                    guard let ord = Int64(try required(value, "ord")) else { throw error(.invalidValue, value, "ord is not an integer") }
                    values[value.text] = ord
                }
                enumTypes[try required(node, "id")] = values
            default: continue
            }
        }
    }

    mutating func logicalDevice(_ node: XMLElementNode) throws(SCLError) -> LogicalDeviceSpec {
        let inst = try required(node, "inst")
        // The active setting group decides which <Val sGroup> instance values take.
        let activeGroup = node.child(named: "LN0")?.child(named: "SettingControl").flatMap { $0["actSG"] }.flatMap { Int($0) } ?? 1
        var nodes: [LogicalNodeSpec] = []
        var names: Set<String> = []
        for child in node.children where child.name == "LN0" || child.name == "LN" {
            let spec = try logicalNode(child, ldInst: inst, activeGroup: activeGroup)
            // References name an LN by prefix, class and instance: two alike could not both be served.
            guard names.insert(spec.prefix + spec.lnClass + spec.inst).inserted else {
                throw error(.invalidValue, child, "a second logical node named '\(spec.prefix + spec.lnClass + spec.inst)' in LDevice '\(inst)'")
            }
            nodes.append(spec)
        }
        guard nodes.contains(where: { $0.lnClass == "LLN0" }) else { throw error(.missing, node, "LDevice '\(inst)' has no <LN0>") }
        return LogicalDeviceSpec(inst: inst, ldName: node["ldName"], logicalNodes: nodes)
    }

    mutating func logicalNode(_ node: XMLElementNode, ldInst: String, activeGroup: Int) throws(SCLError) -> LogicalNodeSpec {
        let lnClass = try required(node, "lnClass")
        let lnType = try required(node, "lnType")
        guard let type = lNodeTypes[lnType] else {
            throw error(.unresolvedReference, node, "lnType '\(lnType)' is not defined in DataTypeTemplates")
        }
        var objects: [DataObjectSpec] = []
        for object in type.children(named: "DO") {
            var spec = try dataObject(typeID: try required(object, "type"), name: try required(object, "name"), at: object, depth: 0)
            spec.count = try count(of: object)
            leaves += Self.leaves(of: spec, limit: Self.maximumLeaves)
            guard leaves <= Self.maximumLeaves else {
                throw error(.tooLarge, object, "the model would have more than \(Self.maximumLeaves) attributes (arrays expanded)")
            }
            objects.append(spec)
        }
        var spec = LogicalNodeSpec(prefix: node["prefix"] ?? "", lnClass: lnClass, inst: node["inst"] ?? "", lnType: lnType, dataObjects: objects)
        for instance in node.children(named: "DOI") {
            try applyInstanceValues(instance, path: [], activeGroup: activeGroup, to: &spec)
        }
        for child in node.children {
            switch child.name {
            case "DataSet":
                let set = try dataSet(child, ldInst: ldInst)
                dataSetMembers += zip(set.members, child.children(named: "FCDA")).map { ($0, $1) }
                spec.dataSets.append(set)
            case "ReportControl": spec.reportControls.append(try reportControl(child))
            case "LogControl": spec.logControls.append(try logControl(child))
            case "Log": spec.logs.append(LogDefinition(name: child["name"] ?? ""))
            case "SettingControl":
                guard let count = Int(try required(child, "numOfSGs")), (1...255).contains(count) else {
                    throw error(.invalidValue, child, "numOfSGs is not a number from 1 to 255")
                }
                let active = Int(child["actSG"] ?? "1") ?? 1
                guard (1...count).contains(active) else { throw error(.invalidValue, child, "actSG \(active) is not a group from 1 to \(count)") }
                spec.settingControl = SettingControlDefinition(numberOfSettingGroups: count, activeSettingGroup: active)
            default: continue
            }
        }
        return spec
    }

    /// Expands a DOType into a data object spec, SDOs and DAs in SCL order.
    mutating func dataObject(typeID: String, name: String, at reference: XMLElementNode, depth: Int) throws(SCLError) -> DataObjectSpec {
        guard depth < 12 else { throw error(.recursiveType, reference, "DOType '\(typeID)' nests too deep (a type refers to itself?)") }
        if var cached = doTypeCache[typeID] {
            cached.name = name
            return cached
        }
        guard let type = doTypes[typeID] else { throw error(.unresolvedReference, reference, "DOType '\(typeID)' is not defined") }
        var children: [DataObjectSpec.Child] = []
        for child in type.children {
            switch child.name {
            case "SDO":
                var sub = try dataObject(typeID: try required(child, "type"), name: try required(child, "name"), at: child, depth: depth + 1)
                sub.count = try count(of: child)
                children.append(.object(sub))
            case "DA":
                guard let fc = FunctionalConstraint(rawValue: try required(child, "fc")) else {
                    throw error(.invalidValue, child, "unknown functional constraint '\(child["fc"] ?? "")'")
                }
                var triggers: TriggerOptions = []
                if child["dchg"] == "true" { triggers.insert(.dataChange) }
                if child["qchg"] == "true" { triggers.insert(.qualityChange) }
                if child["dupd"] == "true" { triggers.insert(.dataUpdate) }
                children.append(.attribute(try attribute(child, fc: fc, triggers: triggers, depth: depth)))
            default: continue
            }
        }
        let spec = DataObjectSpec(name: name, cdc: type["cdc"] ?? "", children: children)
        doTypeCache[typeID] = spec
        return spec
    }

    /// A DA or BDA: basic, or constructed from a DAType.
    func attribute(_ node: XMLElementNode, fc: FunctionalConstraint, triggers: TriggerOptions, depth: Int) throws(SCLError) -> DataAttributeSpec {
        guard depth < 12 else { throw error(.recursiveType, node, "DAType nests too deep (a type refers to itself?)") }
        let name = try required(node, "name")
        let bType = try required(node, "bType")
        let count = try count(of: node)
        if bType == "Struct" {
            let typeID = try required(node, "type")
            guard let type = daTypes[typeID] else { throw error(.unresolvedReference, node, "DAType '\(typeID)' is not defined") }
            var components: [DataAttributeSpec] = []
            for component in type.children(named: "BDA") {
                components.append(try attribute(component, fc: fc, triggers: [], depth: depth + 1))
            }
            return DataAttributeSpec(name: name, fc: fc, kind: .constructed(components), count: count, triggers: triggers)
        }
        if bType == "Enum" {
            guard let typeID = node["type"], enumTypes[typeID] != nil else {
                throw error(.unresolvedReference, node, "EnumType '\(node["type"] ?? "")' is not defined")
            }
        }
        guard let type = BasicType(sclName: bType, enumType: node["type"]) else {
            throw error(.invalidValue, node, "unknown bType '\(bType)'")
        }
        var initial: DataValue?
        if let value = node.child(named: "Val") { initial = try self.value(value, type: type) }
        return DataAttributeSpec(name: name, fc: fc, kind: .basic(type, initial: initial), count: count, triggers: triggers)
    }

    /// Applies `DOI`/`SDI`/`DAI` values to the LN's data objects (`ix` selects an array element at any level).
    ///
    /// Of several `<Val>`s (setting groups), the one of the active group (`actSG`) is taken, else the one
    /// without `sGroup`, else the first.
    func applyInstanceValues(_ node: XMLElementNode, path: [SpecPathStep], activeGroup: Int, to spec: inout LogicalNodeSpec) throws(SCLError) {
        let name = try required(node, "name")
        let here = path + [SpecPathStep(name, index: node["ix"].flatMap { Int($0) })]
        if node.name == "DAI" {
            let values = node.children(named: "Val")
            guard let chosen = values.first(where: { $0["sGroup"] == String(activeGroup) }) ?? values.first(where: { $0["sGroup"] == nil }) ?? values.first
            else { return }
            let reference = here.map { step in step.index.map { "\(step.name)(\($0))" } ?? step.name }.joined(separator: ".")
            guard let objectIndex = spec.dataObjects.firstIndex(where: { $0.name == here[0].name }),
                let type = spec.dataObjects[objectIndex].basicType(at: here.dropFirst())
            else {
                throw error(.unresolvedReference, node, "'\(reference)' is not a basic attribute of LN type '\(spec.lnType)'")
            }
            let value = try self.value(chosen, type: type)
            var object = spec.dataObjects[objectIndex]
            let applied: Bool
            if let index = here[0].index {
                guard object.count > 0, (0..<object.count).contains(index) else {
                    throw error(.invalidValue, node, "index \(index) is outside the array '\(here[0].name)'")
                }
                var element = object.elementOverrides[index] ?? DataObjectSpec(name: String(index), cdc: object.cdc, children: object.children)
                applied = element.setInitialValue(value, at: here.dropFirst())
                object.elementOverrides[index] = element
            } else {
                applied = object.setInitialValue(value, at: here.dropFirst())
            }
            guard applied else { throw error(.invalidValue, node, "'\(reference)': an index is outside its array or names no array") }
            spec.dataObjects[objectIndex] = object
            return
        }
        for child in node.children where child.name == "SDI" || child.name == "DAI" {
            try applyInstanceValues(child, path: here, activeGroup: activeGroup, to: &spec)
        }
    }

    /// Parses a `<Val>` for a basic type.
    func value(_ node: XMLElementNode, type: BasicType) throws(SCLError) -> DataValue {
        let text = node.text
        let parsed = SCLValueParser(enumTypes: enumTypes).parse(text, as: type)
        guard let parsed, parsed.conforms(to: type) else {
            throw error(.invalidValue, node, "'\(text)' is not a valid \(type) value")
        }
        return parsed
    }

    func dataSet(_ node: XMLElementNode, ldInst: String) throws(SCLError) -> DataSetDefinition {
        var members: [DataSetMember] = []
        for member in node.children(named: "FCDA") {
            guard let fc = FunctionalConstraint(rawValue: try required(member, "fc")) else {
                throw error(.invalidValue, member, "unknown functional constraint '\(member["fc"] ?? "")'")
            }
            members.append(
                DataSetMember(
                    ldInst: member["ldInst"] ?? ldInst, prefix: member["prefix"] ?? "", lnClass: try required(member, "lnClass"),
                    lnInst: member["lnInst"] ?? "", doName: try required(member, "doName"), daName: member["daName"] ?? "", fc: fc))
        }
        return DataSetDefinition(name: try required(node, "name"), members: members)
    }

    /// Each FCDA must name a data object (FCD) or attribute (FCDA) of the model that carries its FC.
    func validateDataSetMembers(in model: IedModel) throws(SCLError) {
        for (member, node) in dataSetMembers {
            let objectReference = "\(member.ldInst)/\(member.lnName).\(member.doName)"
            guard let object = model.dataObject(at: objectReference) else {
                throw error(.unresolvedReference, node, "data set member '\(objectReference)' does not exist")
            }
            if member.daName.isEmpty {
                guard object.hasAttributes(with: member.fc) else {
                    throw error(.unresolvedReference, node, "data set member '\(objectReference)' has no attribute with FC \(member.fc.rawValue)")
                }
            } else {
                let attributeReference = "\(objectReference).\(member.daName)"
                guard let attribute = model.attribute(at: attributeReference), attribute.fc == member.fc else {
                    throw error(.unresolvedReference, node, "data set member '\(attributeReference)' [\(member.fc.rawValue)] does not exist")
                }
            }
        }
    }

    func reportControl(_ node: XMLElementNode) throws(SCLError) -> ReportControlDefinition {
        var definition = ReportControlDefinition(name: try required(node, "name"))
        definition.rptID = node["rptID"] ?? ""
        definition.dataSet = node["datSet"] ?? ""
        definition.confRev = UInt32(node["confRev"] ?? "0") ?? 0
        definition.buffered = node["buffered"] == "true"
        definition.bufferTime = UInt32(node["bufTime"] ?? "0") ?? 0
        definition.integrityPeriod = UInt32(node["intgPd"] ?? "0") ?? 0
        definition.indexed = node["indexed"] != "false"
        definition.maxInstances = Int(node.child(named: "RptEnabled")?["max"] ?? "1") ?? 1
        definition.triggerOptions = triggerOptions(node.child(named: "TrgOps"))
        if let fields = node.child(named: "OptFields") {
            let names = ["", "seqNum", "timeStamp", "reasonCode", "dataSet", "dataRef", "bufOvfl", "entryID", "configRef", "segmentation"]
            for (bit, name) in names.enumerated() where !name.isEmpty && fields[name] == "true" {
                definition.optionalFields |= 1 << UInt32(bit)
            }
        }
        return definition
    }

    func logControl(_ node: XMLElementNode) throws(SCLError) -> LogControlDefinition {
        LogControlDefinition(
            name: try required(node, "name"), dataSet: node["datSet"] ?? "", logName: try required(node, "logName"),
            logEnabled: node["logEna"] != "false", integrityPeriod: UInt32(node["intgPd"] ?? "0") ?? 0,
            reasonCode: node["reasonCode"] != "false", triggerOptions: triggerOptions(node.child(named: "TrgOps")))
    }

    func triggerOptions(_ node: XMLElementNode?) -> UInt32 {
        guard let node else { return 0 }
        var bits: UInt32 = 0
        for (bit, name) in ["", "dchg", "qchg", "dupd", "period", "gi"].enumerated() where !name.isEmpty && node[name] == "true" {
            bits |= 1 << UInt32(bit)
        }
        return bits
    }
}
