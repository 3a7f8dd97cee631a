import IEC61850Model
import IEC61850Services
import MMS

/// One named variable of the MMS view of the model: an LN, an LN's FC, or anything below.
///
/// A handle to a row of the namespace's ``MMSNodeTable``; reads encode straight from the value slots
/// its leaves point at. Two handles are equal when they name the same row of the same table.
package struct MMSVariable: Sendable, Hashable {
    package enum Content {
        case leaf(BasicType, slot: Int)
        case structure(Components)
        case array(Components)
    }

    /// The components of a structure or the elements of an array, in order (consecutive rows).
    package struct Components: RandomAccessCollection {
        package unowned(unsafe) let table: MMSNodeTable
        package let first: Int32
        package let count: Int

        package var startIndex: Int { 0 }
        package var endIndex: Int { count }
        package subscript(position: Int) -> MMSVariable {
            precondition(position >= 0 && position < count, "component index out of range")
            return MMSVariable(table: table, row: first + Int32(position))
        }
    }

    /// Unowned: the namespace holds its table for the server's lifetime, and handles never outlive the
    /// server. Handles are copied for every component a read walks, on every event loop at once; a
    /// counted reference would make all of them update one shared reference count.
    package unowned(unsafe) let table: MMSNodeTable
    package let row: Int32

    private var node: MMSNodeTable.Node { table.nodes[Int(row)] }

    /// The component name (`stVal`); the LN name for an LN.
    package var name: String { node.name }
    /// The functional constraint (nil for a whole LN).
    package var fc: FunctionalConstraint? { node.fc }

    package var content: Content {
        let node = self.node
        switch node.kind {
        case .leaf: return .leaf(table.types[Int(node.type)], slot: Int(node.first))
        case .structure: return .structure(Components(table: table, first: node.first, count: Int(node.count)))
        case .array: return .array(Components(table: table, first: node.first, count: Int(node.count)))
        }
    }

    /// The structure or array this variable is a component of (nil for an LN).
    package var parent: MMSVariable? {
        let parent = node.parent
        return parent < 0 ? nil : MMSVariable(table: table, row: parent)
    }

    /// The MMS name below the domain (`GGIO1$ST$Ind1$stVal`), from the chain of parents.
    package var path: String {
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
    package var typeSpecification: TypeSpecification {
        switch content {
        case .leaf(let type, _): MMSValueCodec.typeSpecification(type)
        case .structure(let children): .structure(children.map { TypeSpecification.Component(name: $0.name, type: $0.typeSpecification) })
        case .array(let elements): .array(count: elements.count, element: elements.first?.typeSpecification ?? .boolean)
        }
    }

    /// The component named `name`: by index in a large structure, by a short search in a small one.
    package func child(named name: Substring) -> MMSVariable? {
        var name = name
        return name.withUTF8 { child(named: $0) }
    }

    /// The component whose name has the UTF-8 octets `name`.
    package func child(named name: UnsafeBufferPointer<UInt8>) -> MMSVariable? {
        let nodes = table.nodes
        let kind = nodes[Int(row)].kind, first = nodes[Int(row)].first, count = nodes[Int(row)].count
        guard kind == .structure else { return nil }
        if count > MMSNodeTable.Builder.indexedComponents, let index = table.childIndexes[row] {
            return index[String(decoding: name, as: UTF8.self)].map { MMSVariable(table: table, row: $0) }
        }
        for member in first..<(first + count) {
            let candidate = nodes[Int(member)].name.utf8
            guard candidate.count == name.count else { continue }
            let equal =
                candidate.withContiguousStorageIfAvailable { octets in
                    UnsafeRawBufferPointer(octets).elementsEqual(UnsafeRawBufferPointer(name))
                } ?? candidate.elementsEqual(name)
            if equal { return MMSVariable(table: table, row: member) }
        }
        return nil
    }

    /// Calls `body` for each basic attribute below, in order.
    package func forEachLeaf(_ body: (MMSVariable, BasicType, Int) -> Void) {
        switch content {
        case .leaf(let type, let slot): body(self, type, slot)
        case .structure(let children), .array(let children): for child in children { child.forEachLeaf(body) }
        }
    }

    package static func == (lhs: MMSVariable, rhs: MMSVariable) -> Bool { lhs.row == rhs.row && lhs.table === rhs.table }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(row)
        hasher.combine(ObjectIdentifier(table))
    }
}
