/// An IED's data model: its logical devices and the values of every basic attribute, by slot.
///
/// A model is a value: build it in code with ``IedModelBuilder`` or load it from SCL with ``SCLLoader``,
/// then hand it to a server. Every basic attribute owns one slot; `slotTypes[slot]` is its type and
/// `initialValues[slot]` its value at start.
public struct IedModel: Sendable, Equatable {
    public var name: String {
        didSet { index = ModelIndex(iedName: name, logicalDevices: logicalDevices) }
    }
    public var logicalDevices: [LogicalDevice] {
        didSet { index = ModelIndex(iedName: name, logicalDevices: logicalDevices) }
    }
    public var slotTypes: [BasicType]
    public var initialValues: [DataValue]
    /// Devices and LNs by name, kept with the two properties above.
    private var index: ModelIndex

    public init(name: String, logicalDevices: [LogicalDevice], slotTypes: [BasicType], initialValues: [DataValue]) {
        self.name = name
        self.logicalDevices = logicalDevices
        self.slotTypes = slotTypes
        self.initialValues = initialValues
        index = ModelIndex(iedName: name, logicalDevices: logicalDevices)
    }

    public static func == (lhs: IedModel, rhs: IedModel) -> Bool {
        lhs.name == rhs.name && lhs.logicalDevices == rhs.logicalDevices && lhs.slotTypes == rhs.slotTypes && lhs.initialValues == rhs.initialValues
    }

    /// The same model under another IED name: every LD name and reference follows.
    public func renamed(to newName: String) -> IedModel {
        var copy = self
        copy.name = newName
        return copy
    }

    public func logicalDevice(named ldName: Substring) -> LogicalDevice? {
        index.device(named: ldName).map { logicalDevices[$0] }
    }

    /// Resolves an object reference `LD/LN.DO[.SDO].DA[.BDA]` to a data attribute.
    ///
    /// The LD part may be the full LD name (`DEMOGenericIO`) or the LD instance (`GenericIO`).
    public func attribute(at reference: String) -> DataAttribute? {
        guard case .attribute(let attribute)? = node(at: reference) else { return nil }
        return attribute
    }

    /// Resolves an object reference to a basic attribute's handle (for typed value updates).
    public func handle(for reference: String) -> AttributeHandle? {
        guard let attribute = attribute(at: reference), case .basic(let type, let slot) = attribute.content else { return nil }
        return AttributeHandle(slot: slot, type: type, fc: attribute.fc, reference: reference)
    }

    /// Resolves an object reference to a data object.
    public func dataObject(at reference: String) -> DataObject? {
        guard case .object(let object)? = node(at: reference) else { return nil }
        return object
    }

    private func node(at reference: String) -> DataObject.Child? {
        guard let (object, _, rest) = topDataObject(of: reference) else { return nil }
        return Self.descend(from: .object(object), along: rest)
    }

    /// The data object `LD/LN.DO` that `reference` starts with, the DO name's place in it, and the names
    /// after it.
    private func topDataObject(of reference: String) -> (object: DataObject, name: Substring, rest: ArraySlice<Substring>)? {
        guard let slash = reference.firstIndex(of: "/"), let device = index.device(named: reference[..<slash]) else { return nil }
        var parts = reference[reference.index(after: slash)...].split(separator: ".", omittingEmptySubsequences: false)[...]
        guard let lnName = parts.popFirst(), let node = index.logicalNode(named: lnName, inDevice: device), let doName = parts.popFirst(),
            let object = logicalDevices[device].logicalNodes[node].dataObject(named: doName)
        else { return nil }
        return (object, doName, parts)
    }

    /// Resolves a path below a data object (`mag.f`, `q`, `Oper.ctlVal`) to a basic attribute's handle,
    /// whose reference is `objectReference.path` (sharing `objectReference`'s storage). Binding many points
    /// resolves each point's data object once and its value, quality and time from it, instead of walking
    /// the model for each.
    public func handle(below object: DataObject, path: String, objectReference: String) -> AttributeHandle? {
        guard case .attribute(let attribute)? = Self.descend(from: .object(object), along: path.split(separator: ".", omittingEmptySubsequences: false)[...]),
            case .basic(let type, let slot) = attribute.content
        else { return nil }
        return AttributeHandle(slot: slot, type: type, fc: attribute.fc, objectReference: objectReference, path: path)
    }

    /// The data object that holds what `reference` names (the deepest one: a sub-data object for its
    /// attributes), with the object's own reference; nil if the reference does not reach a data object.
    public func owningDataObject(of reference: String) -> (object: DataObject, reference: Substring)? {
        guard let top = topDataObject(of: reference) else { return nil }
        var (object, end, parts) = (top.object, top.name.endIndex, top.rest)
        while let part = parts.popFirst(), case .object(let child)? = object.child(named: part) {
            object = child
            end = part.endIndex
        }
        return (object, reference[..<end])
    }

    /// Follows the names of `parts` (with array indexes, `name(3)`) down from `start`.
    private static func descend(from start: DataObject.Child, along parts: ArraySlice<Substring>) -> DataObject.Child? {
        var current = start
        for part in parts {
            let (name, index) = Self.splitIndex(part)
            switch current {
            case .object(let object):
                guard let child = object.child(named: name) else { return nil }
                current = child
            case .attribute(let attribute):
                guard case .constructed(let components) = attribute.content,
                    let component = components.first(where: { $0.name == name })
                else { return nil }
                current = .attribute(component)
            }
            guard let index else { continue }
            switch current {
            case .attribute(let attribute):
                guard case .array(let elements) = attribute.content, elements.indices.contains(index) else { return nil }
                current = .attribute(elements[index])
            case .object(let object):
                guard let elements = object.elements, elements.indices.contains(index) else { return nil }
                current = .object(elements[index])
            }
        }
        return current
    }

    /// `name(3)` → (`name`, 3).
    private static func splitIndex(_ part: Substring) -> (Substring, Int?) {
        guard part.hasSuffix(")"), let open = part.firstIndex(of: "(") else { return (part, nil) }
        let number = Int(part[part.index(after: open)..<part.index(before: part.endIndex)])
        return (part[..<open], number)
    }
}

/// A resolved basic attribute: where its value lives and what type it has.
///
/// Two handles are equal when they name the same slot with the same type and constraint; the reference
/// is for messages.
public struct AttributeHandle: Sendable, Hashable, CustomStringConvertible {
    public let slot: Int
    public let type: BasicType
    public let fc: FunctionalConstraint
    // The reference is kept as the data object's reference and the path below it: the handles of one
    // object (value, q, t) then share the object's string instead of each allocating its own. With
    // 100,000 gateway points that was 19 MB of the resident set.
    private let objectReference: String
    private let path: String

    /// The reference it was resolved from, for messages.
    public var reference: String { path.isEmpty ? objectReference : "\(objectReference).\(path)" }

    public init(slot: Int, type: BasicType, fc: FunctionalConstraint, reference: String) {
        self.init(slot: slot, type: type, fc: fc, objectReference: reference, path: "")
    }

    /// A handle whose reference is `objectReference.path`, sharing `objectReference`'s storage.
    public init(slot: Int, type: BasicType, fc: FunctionalConstraint, objectReference: String, path: String) {
        self.slot = slot
        self.type = type
        self.fc = fc
        self.objectReference = objectReference
        self.path = path
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.slot == rhs.slot && lhs.type == rhs.type && lhs.fc == rhs.fc && lhs.reference == rhs.reference
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(slot)
        hasher.combine(fc)
    }

    public var description: String { "\(reference) [\(fc.rawValue)]" }
}
