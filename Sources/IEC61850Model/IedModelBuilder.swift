/// A logical node before it is placed in a model.
public struct LogicalNodeSpec: Sendable, Equatable {
    public var prefix: String
    public var lnClass: String
    public var inst: String
    public var lnType: String
    public var dataObjects: [DataObjectSpec]
    public var dataSets: [DataSetDefinition] = []
    public var reportControls: [ReportControlDefinition] = []
    public var logControls: [LogControlDefinition] = []
    public var logs: [LogDefinition] = []
    public var settingControl: SettingControlDefinition?

    public init(prefix: String = "", lnClass: String, inst: String = "", lnType: String = "", dataObjects: [DataObjectSpec]) {
        self.prefix = prefix
        self.lnClass = lnClass
        self.inst = inst
        self.lnType = lnType
        self.dataObjects = dataObjects
    }

    public var name: String { prefix + lnClass + inst }
}

/// A logical device before it is placed in a model.
public struct LogicalDeviceSpec: Sendable, Equatable {
    public var inst: String
    public var ldName: String?
    public var logicalNodes: [LogicalNodeSpec]

    public init(inst: String, ldName: String? = nil, logicalNodes: [LogicalNodeSpec]) {
        self.inst = inst
        self.ldName = ldName
        self.logicalNodes = logicalNodes
    }
}

/// Builds an ``IedModel`` in code, the counterpart of libIEC61850's dynamic model API.
///
/// ```swift
/// var builder = IedModelBuilder(iedName: "simpleIO")
/// builder.addLogicalDevice(LogicalDeviceSpec(inst: "GenericIO", logicalNodes: [
///     LogicalNodeSpec(lnClass: "LLN0", dataObjects: [CDC.ens("Mod"), CDC.lpl("NamPlt")]),
///     LogicalNodeSpec(lnClass: "GGIO", inst: "1", dataObjects: [CDC.mv("AnIn1"), CDC.spc("SPCSO1", ctlModel: .directWithNormalSecurity)]),
/// ]))
/// let model = builder.build()
/// ```
public struct IedModelBuilder: Sendable {
    public var iedName: String
    public private(set) var logicalDevices: [LogicalDeviceSpec] = []

    public init(iedName: String) {
        self.iedName = iedName
    }

    public mutating func addLogicalDevice(_ device: LogicalDeviceSpec) {
        logicalDevices.append(device)
    }

    /// Places every spec in a model, giving each basic attribute a value slot.
    public func build() -> IedModel {
        var slots = SlotAllocator()
        let devices = logicalDevices.map { slots.place($0) }
        return IedModel(name: iedName, logicalDevices: devices, slotTypes: slots.types, initialValues: slots.values)
    }
}

extension IedModel {
    /// The model with one more logical device, its attributes in slots after the existing ones (a model
    /// loaded from SCL, with a device built in code: the gateway's diagnostics).
    public func adding(_ device: LogicalDeviceSpec) -> IedModel {
        var slots = SlotAllocator(types: slotTypes, values: initialValues)
        var copy = self
        copy.logicalDevices.append(slots.place(device))
        copy.slotTypes = slots.types
        copy.initialValues = slots.values
        return copy
    }
}

/// Hands out value slots while specs become model nodes.
struct SlotAllocator {
    var types: [BasicType] = []
    var values: [DataValue] = []

    mutating func place(_ device: LogicalDeviceSpec) -> LogicalDevice {
        LogicalDevice(
            inst: device.inst, ldName: device.ldName,
            logicalNodes: device.logicalNodes.map { node in
                var built = LogicalNode(
                    prefix: node.prefix, lnClass: node.lnClass, inst: node.inst, lnType: node.lnType, dataObjects: node.dataObjects.map { place($0) })
                built.dataSets = node.dataSets
                built.reportControls = node.reportControls
                built.logControls = node.logControls
                built.logs = node.logs
                built.settingControl = node.settingControl
                return built
            })
    }

    mutating func place(_ spec: DataObjectSpec) -> DataObject {
        let children = spec.children.map { child -> DataObject.Child in
            switch child {
            case .object(let object): .object(place(object))
            case .attribute(let attribute): .attribute(place(attribute))
            }
        }
        var elements: [DataObject]?
        if spec.count > 0 {
            elements = (0..<spec.count).map { index in
                place(spec.elementOverrides[index] ?? DataObjectSpec(name: String(index), cdc: spec.cdc, children: spec.children))
            }
        }
        return DataObject(name: spec.name, cdc: spec.cdc, children: children, elements: elements)
    }

    mutating func place(_ spec: DataAttributeSpec) -> DataAttribute {
        if spec.count > 0 {
            let elements = (0..<spec.count).map { index -> DataAttribute in
                if var override = spec.elementOverrides[index] {
                    override.count = 0
                    override.name = String(index)
                    return place(override)
                }
                var element = spec
                element.count = 0
                element.name = String(index)
                if let value = spec.elementValues[index], case .basic(let type, _) = spec.kind {
                    element.kind = .basic(type, initial: value)
                }
                return place(element)
            }
            return DataAttribute(name: spec.name, fc: spec.fc, content: .array(elements), triggers: spec.triggers)
        }
        switch spec.kind {
        case .basic(let type, let initial):
            types.append(type)
            values.append(initial ?? type.defaultValue)
            return DataAttribute(name: spec.name, fc: spec.fc, content: .basic(type, slot: types.count - 1), triggers: spec.triggers)
        case .constructed(let components):
            return DataAttribute(name: spec.name, fc: spec.fc, content: .constructed(components.map { place($0) }), triggers: spec.triggers)
        }
    }
}
