import IEC61850Model
import IEC61850Services

extension MMSNodeTable {
    /// Lays out the rows: an LN, then its FCs as consecutive rows, then each FC's components as
    /// consecutive rows, and so on down (every structure's components are placed together, before their
    /// own components).
    package struct Builder {
        private var nodes: [Node] = []
        private var types: [BasicType] = []
        private var typeIndex: [BasicType: UInt16] = [:]
        private var childIndexes: [Int32: [String: Int32]] = [:]

        /// Structures with more components than this get a name index.
        package static let indexedComponents = 8

        /// Adds an LN with one structure per FC it has (in `fcOrder`): its data objects' parts of that FC,
        /// then the control blocks `controlBlocks` gives for the FC. Returns the LN's row.
        package mutating func addLogicalNode(
            _ node: LogicalNode, fcOrder: [FunctionalConstraint], controlBlocks: (FunctionalConstraint) -> [ControlBlockStructure]
        ) -> Int32 {
            let row = reserve(1)
            var parts: [(fc: FunctionalConstraint, objects: [DataObject], blocks: [ControlBlockStructure])] = []
            for fc in fcOrder {
                let objects = node.dataObjects.filter { Self.hasContent($0, fc) }
                let blocks = controlBlocks(fc)
                if !objects.isEmpty || !blocks.isEmpty { parts.append((fc, objects, blocks)) }
            }
            let first = reserve(parts.count)
            nodes[Int(row)] = Node(name: node.name, parent: -1, first: first, count: Int32(parts.count), type: 0, kind: .structure, fc: nil)
            for (offset, part) in parts.enumerated() {
                let fcRow = first + Int32(offset)
                let members = reserve(part.objects.count + part.blocks.count)
                nodes[Int(fcRow)] = Node(
                    name: part.fc.rawValue, parent: row, first: members, count: Int32(part.objects.count + part.blocks.count), type: 0, kind: .structure,
                    fc: part.fc)
                for (index, object) in part.objects.enumerated() { place(object, fc: part.fc, at: members + Int32(index), parent: fcRow) }
                for (index, block) in part.blocks.enumerated() { place(block, at: members + Int32(part.objects.count + index), parent: fcRow) }
                indexComponents(of: fcRow)
            }
            indexComponents(of: row)
            return row
        }

        /// The table, each array at its exact size.
        package func build() -> MMSNodeTable {
            MMSNodeTable(nodes: Self.exact(nodes), types: types, childIndexes: childIndexes)
        }

        /// Whether a data object has anything of `fc` (an array of SDOs: every element has).
        package static func hasContent(_ object: DataObject, _ fc: FunctionalConstraint) -> Bool {
            if let elements = object.elements { return !elements.isEmpty && elements.allSatisfy { hasContent($0, fc) } }
            return object.children.contains { has($0, fc) }
        }

        private static func has(_ child: DataObject.Child, _ fc: FunctionalConstraint) -> Bool {
            switch child {
            case .object(let object): hasContent(object, fc)
            case .attribute(let attribute): attribute.fc == fc
            }
        }

        /// A data object's part of `fc`, at the reserved `row`.
        private mutating func place(_ object: DataObject, fc: FunctionalConstraint, at row: Int32, parent: Int32) {
            if let elements = object.elements {
                let first = reserve(elements.count)
                nodes[Int(row)] = Node(name: object.name, parent: parent, first: first, count: Int32(elements.count), type: 0, kind: .array, fc: fc)
                for (index, element) in elements.enumerated() { place(element, fc: fc, at: first + Int32(index), parent: row) }
                return
            }
            let children = object.children.filter { Self.has($0, fc) }
            let first = reserve(children.count)
            nodes[Int(row)] = Node(name: object.name, parent: parent, first: first, count: Int32(children.count), type: 0, kind: .structure, fc: fc)
            for (index, child) in children.enumerated() {
                switch child {
                case .object(let sub): place(sub, fc: fc, at: first + Int32(index), parent: row)
                case .attribute(let attribute): place(attribute, at: first + Int32(index), parent: row)
                }
            }
            indexComponents(of: row)
        }

        private mutating func place(_ attribute: DataAttribute, at row: Int32, parent: Int32) {
            switch attribute.content {
            case .basic(let type, let slot):
                nodes[Int(row)] = Node(name: attribute.name, parent: parent, first: Int32(slot), count: 0, type: index(of: type), kind: .leaf, fc: attribute.fc)
            case .constructed(let components), .array(let components):
                let kind: Kind
                if case .array = attribute.content { kind = .array } else { kind = .structure }
                let first = reserve(components.count)
                nodes[Int(row)] = Node(
                    name: attribute.name, parent: parent, first: first, count: Int32(components.count), type: 0, kind: kind, fc: attribute.fc)
                for (index, component) in components.enumerated() { place(component, at: first + Int32(index), parent: row) }
                if kind == .structure { indexComponents(of: row) }
            }
        }

        private mutating func place(_ block: ControlBlockStructure, at row: Int32, parent: Int32) {
            let first = reserve(block.leaves.count)
            nodes[Int(row)] = Node(name: block.name, parent: parent, first: first, count: Int32(block.leaves.count), type: 0, kind: .structure, fc: block.fc)
            for (index, leaf) in block.leaves.enumerated() {
                nodes[Int(first) + index] = Node(
                    name: leaf.name, parent: row, first: Int32(leaf.slot), count: 0, type: self.index(of: leaf.type), kind: .leaf, fc: block.fc)
            }
            indexComponents(of: row)
        }

        /// Appends `count` rows to be filled in; returns the first.
        private mutating func reserve(_ count: Int) -> Int32 {
            let first = nodes.count
            precondition(first + count < Int(Int32.max), "an MMS namespace has fewer than 2^31 variables")
            nodes.append(contentsOf: repeatElement(Node(name: "", parent: -1, first: 0, count: 0, type: 0, kind: .leaf, fc: nil), count: count))
            return Int32(first)
        }

        private mutating func index(of type: BasicType) -> UInt16 {
            if let known = typeIndex[type] { return known }
            precondition(types.count < Int(UInt16.max), "a model has fewer than 65,535 distinct basic types")
            let index = UInt16(types.count)
            types.append(type)
            typeIndex[type] = index
            return index
        }

        /// Indexes a large structure's components by name (the first of two equal names wins).
        private mutating func indexComponents(of row: Int32) {
            let node = nodes[Int(row)]
            guard node.kind == .structure, node.count > Self.indexedComponents else { return }
            var index: [String: Int32] = [:]
            for component in node.first..<(node.first + node.count) where index[nodes[Int(component)].name] == nil {
                index[nodes[Int(component)].name] = component
            }
            childIndexes[row] = index
        }

        /// A copy with no spare capacity: the table lives as long as the server.
        private static func exact<Element>(_ array: [Element]) -> [Element] {
            [Element](unsafeUninitializedCapacity: array.count) { buffer, count in
                _ = buffer.initialize(from: array)
                count = array.count
            }
        }

        package init() {}
    }
}
