import IEC61850Model

/// Where the log control blocks and logs of a model live: the blocks' MMS variables (FC LG of their LN),
/// the value slots after the report control blocks' that mirror their attributes for reads, and the
/// logs (MMS journals) by reference.
package struct LogControlLayout: Sendable {
    /// One log control block (`LLN0$LG$EventLog`).
    package struct Block: Sendable {
        package let domain: String
        package let logicalNode: String
        package let definition: LogControlDefinition
        /// The slot of the first attribute; the others follow in ``LogControlBlock/Attribute`` order.
        package let firstSlot: Int
        /// Its attributes, as the namespace lists them.
        package let structure: ControlBlockStructure
        /// The log the SCL names, in MMS form (`LD/LLN0$EventLog`), or empty when it does not exist.
        package let configuredLog: String

        /// The DatSet the SCL configures (`LD/LLN0$Events`), or empty.
        package var configuredDataSet: String { definition.dataSet.isEmpty ? "" : "\(domain)/\(logicalNode)$\(definition.dataSet)" }

        package init(
            domain: String, logicalNode: String, definition: LogControlDefinition, firstSlot: Int, structure: ControlBlockStructure, configuredLog: String
        ) {
            self.domain = domain
            self.logicalNode = logicalNode
            self.definition = definition
            self.firstSlot = firstSlot
            self.structure = structure
            self.configuredLog = configuredLog
        }
    }

    package let blocks: [Block]
    /// The types of the attribute slots, from `firstSlot` on.
    package let slotTypes: [BasicType]
    /// Block and attribute by slot.
    package let attributeBySlot: [Int: (block: Int, attribute: LogControlBlock.Attribute)]
    /// Every log of the model in MMS form (`LD/LLN0$EventLog`).
    package let logs: Set<String>

    /// Lays out the blocks of `model` with their slots from `firstSlot` on.
    package init(model: IedModel, firstSlot first: Int) {
        var blocks: [Block] = []
        var types: [BasicType] = []
        var bySlot: [Int: (block: Int, attribute: LogControlBlock.Attribute)] = [:]
        var logs = Set<String>()
        for device in model.logicalDevices {
            let domain = device.name(iedName: model.name)
            for node in device.logicalNodes {
                for log in node.logs { logs.insert("\(domain)/\(node.name)$\(log.name)") }
            }
            for node in device.logicalNodes {
                for definition in node.logControls {
                    let firstSlot = first + types.count
                    var leaves: [ControlBlockStructure.Leaf] = []
                    for attribute in LogControlBlock.Attribute.allCases {
                        bySlot[firstSlot + attribute.rawValue] = (blocks.count, attribute)
                        types.append(attribute.type)
                        leaves.append(ControlBlockStructure.Leaf(name: attribute.name, type: attribute.type, slot: firstSlot + attribute.rawValue))
                    }
                    // The SCL's logName names a log of the same LN, or else of the LD's LLN0.
                    let own = "\(domain)/\(node.name)$\(definition.logName)"
                    let inLLN0 = "\(domain)/LLN0$\(definition.logName)"
                    let configuredLog = logs.contains(own) ? own : logs.contains(inLLN0) ? inLLN0 : ""
                    blocks.append(
                        Block(
                            domain: domain, logicalNode: node.name, definition: definition, firstSlot: firstSlot,
                            structure: ControlBlockStructure(name: definition.name, fc: .lg, leaves: leaves), configuredLog: configuredLog))
                }
            }
        }
        self.blocks = blocks
        slotTypes = types
        attributeBySlot = bySlot
        self.logs = logs
    }
}
