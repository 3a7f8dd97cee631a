import IEC61850Model

/// Where the report control block instances of a model live: their MMS variables (FC RP and BR of their
/// LN) and the value slots after the model's own that mirror their attributes for reads.
package struct ReportControlLayout: Sendable {
    /// One instance (`urcbEvents01`).
    package struct Block: Sendable {
        package let domain: String
        package let logicalNode: String
        package let name: String
        package let definition: ReportControlDefinition
        /// The slot of the first attribute; the others follow in ``ReportControlBlock/Attribute/members(buffered:)`` order.
        package let firstSlot: Int
        /// Its attributes, as the namespace lists them.
        package let structure: ControlBlockStructure

        package var buffered: Bool { definition.buffered }
        package var attributes: [ReportControlBlock.Attribute] { ReportControlBlock.Attribute.members(buffered: buffered) }
        /// `DEMOGenericIO/LLN0$RP$urcbEvents01`: the default RptID.
        package var mmsReference: String { "\(domain)/\(logicalNode)$\(buffered ? "BR" : "RP")$\(name)" }
        /// The DatSet the SCL configures (`DEMOGenericIO/LLN0$Events`), or empty.
        package var configuredDataSet: String { definition.dataSet.isEmpty ? "" : "\(domain)/\(logicalNode)$\(definition.dataSet)" }

        package init(domain: String, logicalNode: String, name: String, definition: ReportControlDefinition, firstSlot: Int, structure: ControlBlockStructure) {
            self.domain = domain
            self.logicalNode = logicalNode
            self.name = name
            self.definition = definition
            self.firstSlot = firstSlot
            self.structure = structure
        }
    }

    package let blocks: [Block]
    /// The types of the attribute slots, from the model's slot count on.
    package let slotTypes: [BasicType]
    /// Block and attribute by slot.
    package let attributeBySlot: [Int: (block: Int, attribute: ReportControlBlock.Attribute)]

    package init(model: IedModel) {
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
                        var leaves: [ControlBlockStructure.Leaf] = []
                        for (offset, attribute) in attributes.enumerated() {
                            let type = attribute.type(buffered: definition.buffered)
                            types.append(type)
                            bySlot[firstSlot + offset] = (blocks.count, attribute)
                            leaves.append(ControlBlockStructure.Leaf(name: attribute.name, type: type, slot: firstSlot + offset))
                        }
                        blocks.append(
                            Block(
                                domain: domain, logicalNode: node.name, name: name, definition: definition, firstSlot: firstSlot,
                                structure: ControlBlockStructure(name: name, fc: fc, leaves: leaves)))
                    }
                }
            }
        }
        self.blocks = blocks
        slotTypes = types
        attributeBySlot = bySlot
    }
}
