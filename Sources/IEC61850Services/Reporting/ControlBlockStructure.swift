import IEC61850Model

/// A structure of basic attributes that the server adds to the model's MMS view: a report or log control
/// block (`LLN0$BR$brcbEvents01`), whose attributes live in value slots after the model's own.
package struct ControlBlockStructure: Sendable {
    package struct Leaf: Sendable {
        package let name: String
        package let type: BasicType
        package let slot: Int

        package init(name: String, type: BasicType, slot: Int) {
            self.name = name
            self.type = type
            self.slot = slot
        }
    }

    package let name: String
    package let fc: FunctionalConstraint
    package let leaves: [Leaf]

    package init(name: String, fc: FunctionalConstraint, leaves: [Leaf]) {
        self.name = name
        self.fc = fc
        self.leaves = leaves
    }
}
