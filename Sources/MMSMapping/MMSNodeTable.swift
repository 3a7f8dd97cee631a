import IEC61850Model
import IEC61850Services

/// Every variable of the MMS view of a model, in one flat array.
///
/// A large model has tens of thousands of variables (an MV data object alone is five: the object, `mag`,
/// `f`, `q` and `t`). One object per variable, each with its array of children, cost about 130 bytes and
/// two allocations per variable; here a variable is a 32-byte row, the components of a structure are
/// consecutive rows, and a leaf's type is an index into the few distinct types of the model.
///
/// Immutable once built (see ``Builder``), so it is shared between event loops without locks.
package final class MMSNodeTable: Sendable {
    package enum Kind: UInt8, Sendable {
        case leaf, structure, array
    }

    package struct Node: Sendable {
        /// The component name (`stVal`); the LN name for an LN. Names of up to 15 bytes are stored inline.
        package var name: String
        /// The row of the structure or array this is a component of; -1 for an LN.
        package var parent: Int32
        /// A leaf's value slot; the first component's row of a structure or an array.
        package var first: Int32
        /// The number of components (0 for a leaf).
        package var count: Int32
        /// A leaf's type, as an index into ``MMSNodeTable/types``.
        package var type: UInt16
        package var kind: Kind
        /// The functional constraint (nil for a whole LN).
        package var fc: FunctionalConstraint?

        package init(name: String, parent: Int32, first: Int32, count: Int32, type: UInt16, kind: Kind, fc: FunctionalConstraint?) {
            self.name = name
            self.parent = parent
            self.first = first
            self.count = count
            self.type = type
            self.kind = kind
            self.fc = fc
        }
    }

    package let nodes: [Node]
    /// The distinct basic types of the leaves.
    package let types: [BasicType]
    /// Component rows by name, for structures too large to search (an FC of an LN with many data
    /// objects), by the structure's row.
    package let childIndexes: [Int32: [String: Int32]]

    package init(nodes: [Node], types: [BasicType], childIndexes: [Int32: [String: Int32]]) {
        self.nodes = nodes
        self.types = types
        self.childIndexes = childIndexes
    }

    /// The variable at `row`.
    package func variable(_ row: Int32) -> MMSVariable { MMSVariable(table: self, row: row) }
}
