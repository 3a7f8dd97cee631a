import IEC61850Model

/// A structure of basic attributes that the server adds to the model's MMS view: a report or log control
/// block (`LLN0$BR$brcbEvents01`), whose attributes live in value slots after the model's own.
struct MMSLeafStructure: Sendable {
    struct Leaf: Sendable {
        let name: String
        let type: BasicType
        let slot: Int
    }

    let name: String
    let fc: FunctionalConstraint
    let leaves: [Leaf]
}
