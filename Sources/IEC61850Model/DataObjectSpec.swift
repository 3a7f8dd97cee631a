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

    /// Sets the initial value of the basic attribute at `path` (`["mag", "f"]`), if it exists.
    public mutating func setInitialValue(_ value: DataValue, at path: ArraySlice<String>, index: Int? = nil) -> Bool {
        guard let first = path.first else { return false }
        for position in children.indices where children[position].name == first {
            switch children[position] {
            case .object(var object):
                let done = object.setInitialValue(value, at: path.dropFirst(), index: index)
                children[position] = .object(object)
                return done
            case .attribute(var attribute):
                let done = attribute.setInitialValue(value, at: path.dropFirst(), index: index)
                children[position] = .attribute(attribute)
                return done
            }
        }
        return false
    }

    /// The basic type of the attribute at `path`, if there is one.
    public func basicType(at path: ArraySlice<String>) -> BasicType? {
        guard let first = path.first, let child = children.first(where: { $0.name == first }) else { return nil }
        switch child {
        case .object(let object): return object.basicType(at: path.dropFirst())
        case .attribute(let attribute): return attribute.basicType(at: path.dropFirst())
        }
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

    mutating func setInitialValue(_ value: DataValue, at path: ArraySlice<String>, index: Int?) -> Bool {
        switch kind {
        case .basic(let type, _):
            guard path.isEmpty else { return false }
            if let index, count > 0 {
                elementValues[index] = value
            } else {
                kind = .basic(type, initial: value)
            }
            return true
        case .constructed(var components):
            guard let first = path.first, let position = components.firstIndex(where: { $0.name == first }) else { return false }
            let done = components[position].setInitialValue(value, at: path.dropFirst(), index: index)
            kind = .constructed(components)
            return done
        }
    }

    func basicType(at path: ArraySlice<String>) -> BasicType? {
        switch kind {
        case .basic(let type, _): return path.isEmpty ? type : nil
        case .constructed(let components):
            guard let first = path.first, let component = components.first(where: { $0.name == first }) else { return nil }
            return component.basicType(at: path.dropFirst())
        }
    }
}
