import IEC61850Model
import Synchronization

/// The current value of every basic attribute, by slot, behind one short lock.
final class ValueStore: Sendable {
    private let values: Mutex<[DataValue]>
    let types: [BasicType]

    init(model: IedModel) {
        values = Mutex(model.initialValues)
        types = model.slotTypes
    }

    /// Runs `body` with the values locked for reading.
    func withValues<Result>(_ body: (borrowing [DataValue]) throws -> Result) rethrows -> Result {
        try values.withLock { values in try body(values) }
    }

    /// Runs `body` with the values locked for change.
    func update<Result>(_ body: (inout [DataValue]) throws -> Result) rethrows -> Result {
        try values.withLock { values in try body(&values) }
    }

    subscript(slot: Int) -> DataValue {
        values.withLock { $0[slot] }
    }
}
