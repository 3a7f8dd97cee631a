import IEC61850Model
import Synchronization

/// The current value of every basic attribute, by slot, and the report control blocks, behind one short lock.
///
/// Control blocks share the values' lock so that a report holds exactly the values a read at the same
/// instant would see, and an atomic batch reaches every control block as one change.
package final class ValueStore: Sendable {
    package struct State: Sendable {
        package var values: [DataValue]
        package var reporting: ReportingState
        /// The process values held while their objects are substituted.
        package var substitution = SubstitutionState()

        package init(values: [DataValue], reporting: ReportingState) {
            self.values = values
            self.reporting = reporting
        }
    }

    private let state: Mutex<State>
    package let types: SlotTypes

    package init(values: [DataValue], types: SlotTypes, reporting: ReportingState) {
        state = Mutex(State(values: values, reporting: reporting))
        self.types = types
    }

    /// Runs `body` with the values locked for reading.
    package func withValues<Result>(_ body: (borrowing [DataValue]) throws -> Result) rethrows -> Result {
        try state.withLock { state in try body(state.values) }
    }

    /// Runs `body` with values and control blocks locked for change.
    package func update<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        try state.withLock { state in try body(&state) }
    }

    package subscript(slot: Int) -> DataValue {
        state.withLock { $0.values[slot] }
    }
}
