import IEC61850Model

/// The log control blocks (PROTOCOL.md §7): they watch their data sets like report control blocks do and
/// record entries in the log storage instead of sending reports.
extension ReportingEngine {
    /// Members of a log block's data set changed (under the lock).
    package func logMembersChanged(_ index: Int, _ included: [IncludedMember], now: ReportTime, _ state: inout ValueStore.State) {
        guard let entry = state.reporting.logBlocks[index].membersChanged(included) else { return }
        record(entry, block: index, now: now, &state)
    }

    /// A log block's integrity period came (under the lock).
    package func logTimerFired(_ index: Int, now: ReportTime, _ state: inout ValueStore.State) {
        let binding = state.reporting.logBindings[index]
        let entry = state.reporting.logBlocks[index].timerFired(now: now) { binding?.snapshot(state.values) ?? [] }
        if let entry { record(entry, block: index, now: now, &state) }
        armTimer(state.reporting.blocks.count + index, now: now, &state)
    }

    /// A client writes one attribute of a log block; nil on success.
    package func writeLog(_ index: Int, _ attribute: LogControlBlock.Attribute, _ value: DataValue) -> ControlBlockRefusal? {
        // Resolve outside the store's lock: the data set store calls into this engine under its own lock.
        var binding: ReportBinding?
        if attribute == .datSet, case .string(let reference) = value, !reference.isEmpty {
            binding = Self.bind(reference, buffered: true, dataSets: dataSets, association: nil)
        }
        let now = clock()
        let logs = logLayout.logs
        let environment = LogControlBlock.Environment(
            now: now, resolveDataSet: { _ in binding?.entry.members.count }, logExists: { logs.contains($0) }, limits: limits)
        return store.update { state -> ControlBlockRefusal? in
            do throws(LogControlBlock.Refusal) {
                try state.reporting.logBlocks[index].write(attribute, value, environment)
            } catch {
                return switch error {
                case .temporarilyUnavailable: .temporarilyUnavailable
                case .accessDenied: .accessDenied
                case .valueInvalid: .valueInvalid
                case .inconsistent: .inconsistent
                case .typeInconsistent: .typeInconsistent
                }
            }
            let global = state.reporting.blocks.count + index
            switch attribute {
            case .datSet:
                state.reporting.logBindings[index] = state.reporting.logBlocks[index].memberCount == nil ? nil : binding
                state.reporting.rebuildWatchers(slotCount: store.types.count)
            case .logRef:
                state.reporting.logBlocks[index].bounds = logStorage?.bounds(log: state.reporting.logBlocks[index].logReference)
            default: break
            }
            state.reporting.timers[global] = nil
            armTimer(global, now: now, &state)
            mirrorLog(index, &state)
            return nil
        }
    }

    /// Re-reads every log's bounds (the storage trims old entries on its own), before a client reads a
    /// log block.
    package func refreshLogBounds() {
        guard let logStorage, !logLayout.blocks.isEmpty else { return }
        store.update { state in
            for index in state.reporting.logBlocks.indices {
                let bounds = logStorage.bounds(log: state.reporting.logBlocks[index].logReference)
                guard bounds != state.reporting.logBlocks[index].bounds else { continue }
                state.reporting.logBlocks[index].bounds = bounds
                mirrorLog(index, &state)
            }
        }
    }

    /// Hands an entry's members to the storage as log values (it only queues them).
    private func record(_ entry: LogControlBlock.Entry, block index: Int, now: ReportTime, _ state: inout ValueStore.State) {
        guard let logStorage, let binding = state.reporting.logBindings[index] else { return }
        let log = state.reporting.logBlocks[index].logReference
        let values = entry.map { included in
            LogEntry.Value(
                reference: binding.entry.members[included.member].reference, values: included.values,
                reasonCode: UInt8(truncatingIfNeeded: included.reason.rawValue))
        }
        _ = logStorage.append(log: log, time: Timestamp(millisecondsSinceEpoch: now.utcMilliseconds), values: values)
        // Every block writing to this log shows the new bounds.
        let bounds = logStorage.bounds(log: log)
        for other in state.reporting.logBlocks.indices where state.reporting.logBlocks[other].logReference == log {
            state.reporting.logBlocks[other].bounds = bounds
            mirrorLog(other, &state)
        }
    }

    /// Copies a log block's attributes into its value slots, for reads.
    package func mirrorLog(_ index: Int, _ state: inout ValueStore.State) {
        let first = logLayout.blocks[index].firstSlot
        let block = state.reporting.logBlocks[index]
        for attribute in LogControlBlock.Attribute.allCases {
            state.values[first + attribute.rawValue] = block.value(of: attribute)
        }
    }
}
