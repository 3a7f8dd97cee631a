/// A data object before it is placed in a model: what the CDC helpers and the SCL templates produce.
///
/// Specs carry initial values but no value slots; ``IedModelBuilder`` assigns slots when it adds them.
public struct DataObjectSpec: Sendable, Equatable {
    public indirect enum Child: Sendable, Equatable {
        case object(DataObjectSpec)
        case attribute(DataAttributeSpec)

        public var name: String {
            switch self {
            case .object(let object): object.name
            case .attribute(let attribute): attribute.name
            }
        }
    }

    public var name: String
    public var cdc: String
    public var children: [Child]
    /// Number of elements when this is an array of SDOs (0 = not an array).
    public var count: Int
    /// Elements of an SDO array whose values differ from the template (SCL `SDI ix`), by index.
    public var elementOverrides: [Int: DataObjectSpec] = [:]

    public init(name: String, cdc: String, children: [Child], count: Int = 0) {
        self.name = name
        self.cdc = cdc
        self.children = children
        self.count = count
    }

    /// Adds a data attribute.
    public func with(_ attribute: DataAttributeSpec) -> DataObjectSpec {
        var copy = self
        copy.children.append(.attribute(attribute))
        return copy
    }

    /// Sets the initial value of the basic attribute at `path` (`mag`, `f`; an element index on any step
    /// addresses one element of an array), if it exists.
    public mutating func setInitialValue(_ value: DataValue, at path: ArraySlice<SpecPathStep>) -> Bool {
        guard let first = path.first, let position = children.firstIndex(where: { $0.name == first.name }) else { return false }
        switch children[position] {
        case .object(var object):
            let done: Bool
            if let index = first.index {
                guard object.count > 0, (0..<object.count).contains(index) else { return false }
                var element = object.elementOverrides[index] ?? DataObjectSpec(name: String(index), cdc: object.cdc, children: object.children)
                done = element.setInitialValue(value, at: path.dropFirst())
                object.elementOverrides[index] = element
            } else {
                done = object.setInitialValue(value, at: path.dropFirst())
            }
            children[position] = .object(object)
            return done
        case .attribute(var attribute):
            let done = attribute.setInitialValue(value, at: path.dropFirst(), index: first.index)
            children[position] = .attribute(attribute)
            return done
        }
    }

    /// The basic type of the attribute at `path`, if there is one (element indexes do not change it).
    public func basicType(at path: ArraySlice<SpecPathStep>) -> BasicType? {
        guard let first = path.first, let child = children.first(where: { $0.name == first.name }) else { return nil }
        switch child {
        case .object(let object): return object.basicType(at: path.dropFirst())
        case .attribute(let attribute): return attribute.basicType(at: path.dropFirst())
        }
    }
}

/// One step of a path into a data object: a child's name and, for arrays, an element index.
public struct SpecPathStep: Sendable, Hashable {
    public var name: String
    public var index: Int?

    public init(_ name: String, index: Int? = nil) {
        self.name = name
        self.index = index
    }
}

/// A data attribute before it is placed in a model.
public struct DataAttributeSpec: Sendable, Equatable {
    public indirect enum Kind: Sendable, Equatable {
        case basic(BasicType, initial: DataValue?)
        case constructed([DataAttributeSpec])
    }

    public var name: String
    public var fc: FunctionalConstraint
    public var kind: Kind
    /// Number of array elements (0 = not an array).
    public var count: Int
    public var triggers: TriggerOptions
    /// Initial values of individual array elements (SCL `DAI ix`), by index.
    public var elementValues: [Int: DataValue]
    /// Elements of a constructed array whose values differ from the template (SCL `SDI ix`), by index.
    public var elementOverrides: [Int: DataAttributeSpec] = [:]

    public init(name: String, fc: FunctionalConstraint, kind: Kind, count: Int = 0, triggers: TriggerOptions = [], elementValues: [Int: DataValue] = [:]) {
        self.name = name
        self.fc = fc
        self.kind = kind
        self.count = count
        self.triggers = triggers
        self.elementValues = elementValues
    }

    /// A basic attribute.
    public static func basic(
        _ name: String, _ type: BasicType, fc: FunctionalConstraint, triggers: TriggerOptions = [], value: DataValue? = nil
    ) -> DataAttributeSpec {
        DataAttributeSpec(name: name, fc: fc, kind: .basic(type, initial: value), triggers: triggers)
    }

    /// A constructed attribute.
    public static func constructed(
        _ name: String, fc: FunctionalConstraint, triggers: TriggerOptions = [], _ components: [DataAttributeSpec]
    ) -> DataAttributeSpec {
        DataAttributeSpec(name: name, fc: fc, kind: .constructed(components.map { $0.withFC(fc) }), triggers: triggers)
    }

    /// This attribute with `fc` applied to it and all its components (BDAs inherit the DA's FC).
    public func withFC(_ fc: FunctionalConstraint) -> DataAttributeSpec {
        var copy = self
        copy.fc = fc
        if case .constructed(let components) = kind { copy.kind = .constructed(components.map { $0.withFC(fc) }) }
        return copy
    }

    /// Sets a value below this attribute; `index` selects an element when this attribute is an array.
    mutating func setInitialValue(_ value: DataValue, at path: ArraySlice<SpecPathStep>, index: Int?) -> Bool {
        if let index, count > 0 {
            guard (0..<count).contains(index) else { return false }
            if case .basic = kind {
                guard path.isEmpty else { return false }
                elementValues[index] = value
                return true
            }
            var element = elementOverrides[index] ?? DataAttributeSpec(name: String(index), fc: fc, kind: kind, triggers: triggers)
            let done = element.setInitialValue(value, at: path, index: nil)
            elementOverrides[index] = element
            return done
        }
        switch kind {
        case .basic(let type, _):
            guard path.isEmpty else { return false }
            kind = .basic(type, initial: value)
            return true
        case .constructed(var components):
            guard let first = path.first, let position = components.firstIndex(where: { $0.name == first.name }) else { return false }
            let done = components[position].setInitialValue(value, at: path.dropFirst(), index: first.index)
            kind = .constructed(components)
            return done
        }
    }

    func basicType(at path: ArraySlice<SpecPathStep>) -> BasicType? {
        switch kind {
        case .basic(let type, _): return path.isEmpty ? type : nil
        case .constructed(let components):
            guard let first = path.first, let component = components.first(where: { $0.name == first.name }) else { return nil }
            return component.basicType(at: path.dropFirst())
        }
    }
}
