/// A data object (DO) or sub-data object (SDO): an instance of a common data class.
public struct DataObject: Sendable, Equatable {
    /// A child of a data object: a sub-data object or a data attribute, in SCL order.
    public enum Child: Sendable, Equatable {
        case object(DataObject)
        case attribute(DataAttribute)

        public var name: String {
            switch self {
            case .object(let object): object.name
            case .attribute(let attribute): attribute.name
            }
        }
    }

    public var name: String
    /// The common data class, such as `SPS`, `MV`, `SPC` (empty when unknown).
    public var cdc: String
    public var children: [Child]
    /// For an array of SDOs: the elements (each a DataObject named by its index).
    public var elements: [DataObject]?

    public init(name: String, cdc: String, children: [Child], elements: [DataObject]? = nil) {
        self.name = name
        self.cdc = cdc
        self.children = children
        self.elements = elements
    }

    /// The child named `name`.
    public func child(named name: Substring) -> Child? {
        children.first { $0.name == name }
    }

    /// Whether any attribute below carries `fc`.
    public func hasAttributes(with fc: FunctionalConstraint) -> Bool {
        children.contains { child in
            switch child {
            case .attribute(let attribute): attribute.fc == fc
            case .object(let object): object.hasAttributes(with: fc)
            }
        }
    }
}
