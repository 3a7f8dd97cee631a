import IEC61850Model
import MMS

/// One named variable of the MMS view of the model: an LN, an LN's FC, or anything below.
///
/// Built once per model; reads encode straight from the value slots it points at.
///
/// @unchecked Sendable: `parent` is set once, while the namespace is built and before it is shared;
/// everything else is immutable.
final class MMSVariable: @unchecked Sendable {
    enum Content: Sendable {
        case leaf(BasicType, slot: Int)
        case structure([MMSVariable])
        case array([MMSVariable])
    }

    /// The component name (`stVal`); the LN name for an LN.
    let name: String
    let content: Content
    /// The functional constraint (nil for a whole LN).
    let fc: FunctionalConstraint?

    // No IEC 61850 reference is kept here: a model has one variable per name at every level, and the
    // references would be a good part of a large model's memory. Write handlers keep the handle they
    // were installed for instead.
    /// The structure this variable is a component of (nil for an LN, or an array element). Unowned:
    /// parents own their children, and the namespace owns every LN.
    private(set) unowned(unsafe) var parent: MMSVariable?
    /// Component positions by name, for structures too large to search (an FC of an LN with many data
    /// objects); component names are short, so the keys are stored inline.
    private let childIndex: [String: Int]?

    init(name: String, content: Content, fc: FunctionalConstraint?) {
        self.name = name
        self.content = content
        self.fc = fc
        if case .structure(let children) = content, children.count > 8 {
            childIndex = Dictionary(children.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        } else {
            childIndex = nil
        }
        if case .structure(let children) = content {
            for child in children { child.parent = self }
        }
    }

    /// The MMS name below the domain (`GGIO1$ST$Ind1$stVal`), from the chain of parents.
    var path: String {
        var parts = [name]
        var current = parent
        while let node = current {
            parts.append(node.name)
            current = node.parent
        }
        return parts.reversed().joined(separator: "$")
    }

    /// The MMS type, built when a client asks (getVariableAccessAttributes): keeping it for every variable
    /// would repeat each subtree at every level above it.
    var typeSpecification: TypeSpecification {
        switch content {
        case .leaf(let type, _): MMSValueCodec.typeSpecification(type)
        case .structure(let children): .structure(children.map { TypeSpecification.Component(name: $0.name, type: $0.typeSpecification) })
        case .array(let elements): .array(count: elements.count, element: elements.first?.typeSpecification ?? .boolean)
        }
    }

    /// The child named `name`: by index in a large structure, by a short search in a small one.
    func child(named name: Substring) -> MMSVariable? {
        guard case .structure(let children) = content else { return nil }
        if let childIndex { return childIndex[String(name)].map { children[$0] } }
        return children.first { $0.name == name }
    }

    /// Calls `body` for each basic attribute below, in order.
    func forEachLeaf(_ body: (MMSVariable, BasicType, Int) -> Void) {
        switch content {
        case .leaf(let type, let slot): body(self, type, slot)
        case .structure(let children), .array(let children): for child in children { child.forEachLeaf(body) }
        }
    }
}
