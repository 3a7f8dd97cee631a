import IEC61850Model
import MMS

/// One named variable of the MMS view of the model: an LN, an LN's FC, or anything below.
///
/// Built once per model; reads encode straight from the value slots it points at.
final class MMSVariable: Sendable {
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
    /// The IEC 61850 reference of the data below an FC (`GenericIO/GGIO1.Ind1.stVal`), for write handlers.
    let reference: String

    init(name: String, content: Content, fc: FunctionalConstraint?, reference: String) {
        self.name = name
        self.content = content
        self.fc = fc
        self.reference = reference
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

    /// The child named `name` (linear: structures are small).
    func child(named name: Substring) -> MMSVariable? {
        guard case .structure(let children) = content else { return nil }
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
