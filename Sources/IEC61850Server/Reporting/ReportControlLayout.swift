import IEC61850Model

/// Where the report control block instances of a model live: their MMS variables (FC RP and BR of their
/// LN) and the value slots after the model's own that mirror their attributes for reads.
struct ReportControlLayout: Sendable {
    /// One instance (`urcbEvents01`).
    struct Block: Sendable {
        let domain: String
        let logicalNode: String
        let name: String
        let definition: ReportControlDefinition
        /// The slot of the first attribute; the others follow in ``ReportControlBlock/Attribute/members(buffered:)`` order.
        let firstSlot: Int
        /// Its attributes, as the namespace lists them.
        let structure: MMSLeafStructure

        var buffered: Bool { definition.buffered }
        var attributes: [ReportControlBlock.Attribute] { ReportControlBlock.Attribute.members(buffered: buffered) }
        /// `DEMOGenericIO/LLN0$RP$urcbEvents01`: the default RptID.
        var mmsReference: String { "\(domain)/\(logicalNode)$\(buffered ? "BR" : "RP")$\(name)" }
        /// The DatSet the SCL configures (`DEMOGenericIO/LLN0$Events`), or empty.
        var configuredDataSet: String { definition.dataSet.isEmpty ? "" : "\(domain)/\(logicalNode)$\(definition.dataSet)" }
    }

    let blocks: [Block]
    /// The types of the attribute slots, from the model's slot count on.
    let slotTypes: [BasicType]
    /// Block and attribute by slot.
    let attributeBySlot: [Int: (block: Int, attribute: ReportControlBlock.Attribute)]

    init(model: IedModel) {
        var blocks: [Block] = []
        var types: [BasicType] = []
        var bySlot: [Int: (block: Int, attribute: ReportControlBlock.Attribute)] = [:]
        let first = model.slotTypes.count
        for device in model.logicalDevices {
            let domain = device.name(iedName: model.name)
            for node in device.logicalNodes {
                for definition in node.reportControls {
                    let count = max(1, definition.maxInstances)
                    for index in 1...count {
                        let name = definition.indexed ? definition.name + (index < 10 ? "0" : "") + String(index) : definition.name
                        guard definition.indexed || index == 1 else { break }
                        let firstSlot = first + types.count
                        let attributes = ReportControlBlock.Attribute.members(buffered: definition.buffered)
                        let fc: FunctionalConstraint = definition.buffered ? .br : .rp
                        var leaves: [MMSLeafStructure.Leaf] = []
                        for (offset, attribute) in attributes.enumerated() {
                            let type = attribute.type(buffered: definition.buffered)
                            types.append(type)
                            bySlot[firstSlot + offset] = (blocks.count, attribute)
                            leaves.append(MMSLeafStructure.Leaf(name: attribute.name, type: type, slot: firstSlot + offset))
                        }
                        blocks.append(
                            Block(
                                domain: domain, logicalNode: node.name, name: name, definition: definition, firstSlot: firstSlot,
                                structure: MMSLeafStructure(name: name, fc: fc, leaves: leaves)))
                    }
                }
            }
        }
        self.blocks = blocks
        slotTypes = types
        attributeBySlot = bySlot
    }

    /// The control blocks of one LN for one FC (RP or BR), in MMS name order.
    func structures(domain: String, logicalNode: String, fc: FunctionalConstraint) -> [MMSLeafStructure] {
        blocks.filter { $0.domain == domain && $0.logicalNode == logicalNode && ($0.buffered ? FunctionalConstraint.br : .rp) == fc }
            .map(\.structure)
            .sorted { MMSNamespace.mmsOrder($0.name, $1.name) }
    }
}
