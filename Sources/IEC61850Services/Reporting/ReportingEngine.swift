import Foundation
import IEC61850Model
import Logging
import Synchronization

/// Runs the report and log control blocks: feeds them value changes, client writes, timers and
/// association ends under the value store's lock, hands the reports they make to the owning associations
/// and the log entries to the log storage.
///
/// Reports are handed over while the lock is held, so each association receives them in the order the
/// blocks made them; the handover only enqueues a task on the association's event loop.
package final class ReportingEngine: Sendable {
    /// Delivers reports to one association (enqueues them on its event loop).
    package typealias Sink = @Sendable (OutgoingReport) -> Void

    package let layout: ReportControlLayout
    package let logLayout: LogControlLayout
    /// Where log entries go; nil when the model has no logs.
    package let logStorage: (any LogStorage)?
    package let store: ValueStore
    package let dataSets: DataSetStore
    /// Trigger options of the attribute each model slot belongs to.
    private let slotTriggers: [TriggerOptions]
    private let sinks = Mutex<[UInt64: Sink]>([:])
    private let timers = Mutex<(any TimerScheduler)?>(nil)
    package let clock: @Sendable () -> ReportTime
    package let logger: Logger
    /// The model's substitutable data objects.
    package let substitutions: SubstitutionTable

    /// The store, with the control blocks' attribute slots after the model's, and the blocks in it.
    package static func makeStore(
        model: IedModel, layout: ReportControlLayout, logLayout: LogControlLayout, dataSets: DataSetStore, bufferCapacity: Int
    ) -> ValueStore {
        var bindings: [ReportBinding?] = []
        var blocks: [ReportControlBlock] = []
        for block in layout.blocks {
            let binding = bind(block.configuredDataSet, buffered: block.buffered, dataSets: dataSets, association: nil)
            bindings.append(binding)
            blocks.append(
                ReportControlBlock(
                    definition: block.definition, defaultRptID: block.mmsReference, dataSetReference: block.configuredDataSet,
                    memberCount: binding?.entry.members.count, bufferCapacity: bufferCapacity))
        }
        var reporting = ReportingState(blocks: blocks, bindings: bindings)
        let now = systemTime()
        for block in logLayout.blocks {
            let binding = bind(block.configuredDataSet, buffered: true, dataSets: dataSets, association: nil)
            reporting.logBindings.append(binding)
            reporting.logBlocks.append(
                LogControlBlock(
                    definition: block.definition, logReference: block.configuredLog, dataSetReference: block.configuredDataSet,
                    memberCount: binding?.entry.members.count, now: now))
        }
        reporting.timers = Array(repeating: nil, count: blocks.count + logLayout.blocks.count)
        let types = SlotTypes(model: model.slotTypes, added: layout.slotTypes + logLayout.slotTypes)
        reporting.rebuildWatchers(slotCount: types.count)
        let values = model.initialValues + layout.slotTypes.map(\.defaultValue) + logLayout.slotTypes.map(\.defaultValue)
        return ValueStore(values: values, types: types, reporting: reporting)
    }

    /// What clients may write into control blocks.
    package let limits: ControlBlockLimits

    package init(
        model: IedModel, layout: ReportControlLayout, logLayout: LogControlLayout, logStorage: (any LogStorage)?, store: ValueStore,
        dataSets: DataSetStore, limits: ControlBlockLimits = ControlBlockLimits(), logger: Logger,
        clock: @escaping @Sendable () -> ReportTime = ReportingEngine.systemTime
    ) {
        self.limits = limits
        self.layout = layout
        self.logLayout = logLayout
        self.logStorage = logStorage
        self.store = store
        self.dataSets = dataSets
        self.logger = logger
        self.clock = clock
        substitutions = SubstitutionTable(model: model)
        var triggers = [TriggerOptions](repeating: [], count: model.slotTypes.count)
        for device in model.logicalDevices {
            for node in device.logicalNodes {
                for object in node.dataObjects { Self.collectTriggers(object, into: &triggers) }
            }
        }
        slotTriggers = triggers
        store.update { state in
            for index in layout.blocks.indices { mirror(index, &state) }
            for index in logLayout.blocks.indices {
                state.reporting.logBlocks[index].bounds = logStorage?.bounds(log: state.reporting.logBlocks[index].logReference)
                mirrorLog(index, &state)
            }
        }
        dataSets.references.withLock { hook in
            hook = DataSetStore.ReferenceCheck { [weak self] name in self?.references(name) ?? false }
        }
    }

    package static let systemTime: @Sendable () -> ReportTime = {
        ReportTime(
            monotonicNanoseconds: ServiceClock.monotonicNanoseconds(),
            utcMilliseconds: UInt64(max(0, Date().timeIntervalSince1970 * 1000)))
    }

    private static func collectTriggers(_ object: DataObject, into triggers: inout [TriggerOptions]) {
        for element in object.elements ?? [] { collectTriggers(element, into: &triggers) }
        for child in object.children {
            switch child {
            case .object(let sub): collectTriggers(sub, into: &triggers)
            case .attribute(let attribute):
                attribute.forEachLeaf { _, slot in if slot < triggers.count { triggers[slot] = attribute.triggers } }
            }
        }
    }

    /// Resolves a DatSet reference (`LD/LN$name`, or `@name` of the writing association for a URCB).
    package static func bind(
        _ reference: String, buffered: Bool, dataSets: DataSetStore, association: (id: UInt64, sets: AssociationDataSets)?
    ) -> ReportBinding? {
        if reference.hasPrefix("@") {
            let name = String(reference.dropFirst())
            guard !buffered, let association, let entry = association.sets.sets[name] else { return nil }
            return ReportBinding(name: .association(name), entry: entry, association: association.id)
        }
        guard let slash = reference.firstIndex(of: "/") else { return nil }
        let domain = String(reference[..<slash])
        let item = String(reference[reference.index(after: slash)...])
        guard let entry = dataSets.entry(domain: domain, item: item) else { return nil }
        return ReportBinding(name: .domain(domain, item: item), entry: entry, association: nil)
    }

    // MARK: Associations and timers

    /// Starts delivering reports to an association.
    package func register(_ client: UInt64, sink: @escaping Sink) {
        sinks.withLock { $0[client] = sink }
    }

    /// The association ended: its blocks are released (PROTOCOL.md §5.4, Disconnect).
    package func associationClosed(_ client: ReportControlBlock.Client) {
        _ = sinks.withLock { $0.removeValue(forKey: client.id) }
        let now = clock()
        store.update { state in
            var rebuild = false
            for index in state.reporting.blocks.indices {
                let actions = state.reporting.blocks[index].associationClosed(client, now: now)
                if state.reporting.bindings[index]?.association == client.id {
                    state.reporting.blocks[index].dataSetRemoved()
                    state.reporting.bindings[index] = nil
                    rebuild = true
                }
                perform(actions, block: index, now: now, &state)
                mirror(index, &state)
            }
            if rebuild { state.reporting.rebuildWatchers(slotCount: store.types.count) }
        }
    }

    /// The report control blocks each association has enabled, by association id (IEC 61850 references,
    /// `GenericIO/LLN0.BR.brcbEvents01`).
    package func enabledBlocks() -> [UInt64: [String]] {
        store.update { state in
            var enabled: [UInt64: [String]] = [:]
            for (index, block) in state.reporting.blocks.enumerated() where block.enabled {
                guard let owner = block.owner else { continue }
                let definition = layout.blocks[index]
                enabled[owner.id, default: []].append(
                    "\(definition.domain)/\(definition.logicalNode).\(definition.buffered ? "BR" : "RP").\(definition.name)")
            }
            return enabled
        }
    }

    /// Runs the blocks' timers on `scheduler` (nil stops them; they resume on the next attach).
    package func attach(_ scheduler: (any TimerScheduler)?) {
        timers.withLock { $0 = scheduler }
        let now = clock()
        store.update { state in
            for index in state.reporting.timers.indices {
                state.reporting.timers[index] = nil
                armTimer(index, now: now, &state)
            }
        }
    }

    /// Keeps one timer per block armed for its earliest deadline. A block's own schedule actions are hints;
    /// what counts is its next deadline after each input, so early, late or replaced timers do no harm.
    package func armTimer(_ index: Int, now: ReportTime, _ state: inout ValueStore.State) {
        guard let deadline = state.reporting.nextDeadline(of: index) else { return }
        if let armed = state.reporting.timers[index], armed.deadline <= deadline { return }
        guard let scheduler = timers.withLock({ $0 }) else { return }
        state.reporting.nextTimerToken &+= 1
        let token = state.reporting.nextTimerToken
        state.reporting.timers[index] = (deadline, token)
        let delay = deadline > now.monotonicNanoseconds ? deadline - now.monotonicNanoseconds : 0
        scheduler.schedule(in: delay) { [weak self] in self?.timerFired(index, token: token) }
    }

    package func timerFired(_ index: Int, token: UInt64) {
        let now = clock()
        store.update { state in
            guard state.reporting.timers[index]?.token == token else { return }  // replaced by an earlier one
            state.reporting.timers[index] = nil
            guard index < state.reporting.blocks.count else { return logTimerFired(index - state.reporting.blocks.count, now: now, &state) }
            var block = state.reporting.blocks[index]
            let binding = state.reporting.bindings[index]
            let actions = block.timerFired(now: now) { binding?.snapshot(state.values) ?? [] }
            state.reporting.blocks[index] = block
            perform(actions, block: index, now: now, &state)
            mirror(index, &state)
        }
    }

    // MARK: Values

    /// Applies value changes (one update, or one atomic batch) and lets the blocks watching them react.
    /// Changes go through substitution first (``SubstitutionTable``); returns the substitutions that
    /// began, changed or ended.
    @discardableResult
    package func apply(_ changes: some Collection<(slot: Int, value: DataValue)>) -> [SubstitutionChange] {
        store.update { state in
            guard !substitutions.isEmpty else {
                applyRouted(changes, &state)
                return []
            }
            let routed = substitutions.route(changes, values: state.values, state: &state.substitution) { [clock] in
                Timestamp(millisecondsSinceEpoch: clock().utcMilliseconds)
            }
            applyRouted(routed.changes, &state)
            return routed.substitutions
        }
    }

    /// Applies changes that went through substitution, under the store's lock.
    private func applyRouted(_ changes: some Collection<(slot: Int, value: DataValue)>, _ state: inout ValueStore.State) {
        guard !state.reporting.watchers.isEmpty else {
            for change in changes { state.values[change.slot] = change.value }
            return
        }
        var triggered: [Int: [Int: ReportTrigger]] = [:]  // block → member → reasons
        for change in changes {
            let old = state.values[change.slot]
            state.values[change.slot] = change.value
            let watches = state.reporting.watchers[change.slot]
            guard !watches.isEmpty else { continue }
            let reason = reason(slot: change.slot, changed: old != change.value)
            guard !reason.isEmpty else { continue }
            for watch in watches { triggered[watch.block, default: [:]][watch.member, default: []].formUnion(reason) }
        }
        guard !triggered.isEmpty else { return }
        let now = clock()
        for (index, members) in triggered {
            let isLog = index >= state.reporting.blocks.count
            guard let binding = isLog ? state.reporting.logBindings[index - state.reporting.blocks.count] : state.reporting.bindings[index]
            else { continue }
            let included = members.sorted { $0.key < $1.key }.map { member, reason in
                IncludedMember(member: member, reason: reason, values: binding.memberSlots[member].map { state.values[$0] })
            }
            if isLog {
                logMembersChanged(index - state.reporting.blocks.count, included, now: now, &state)
                continue
            }
            let actions = state.reporting.blocks[index].membersChanged(included, now: now)
            perform(actions, block: index, now: now, &state)
            mirror(index, &state)
        }
    }

    /// Why a change of a slot is reported: its attribute's dchg, qchg or dupd (SCL trigger options).
    private func reason(slot: Int, changed: Bool) -> ReportTrigger {
        guard slot < slotTriggers.count else { return [] }
        let options = slotTriggers[slot]
        if changed {
            if options.contains(.qualityChange) && store.types[slot] == .quality { return .qualityChange }
            if options.contains(.dataChange) { return .dataChange }
        }
        return options.contains(.dataUpdate) ? .dataUpdate : []
    }

    // MARK: Client writes

    /// A client writes one attribute of a block (the slot mirrors it); nil on success.
    package func write(slot: Int, _ value: DataValue, client: ReportControlBlock.Client, associationSets: AssociationDataSets) -> ControlBlockRefusal? {
        if let (index, attribute) = logLayout.attributeBySlot[slot] { return writeLog(index, attribute, value) }
        guard let (index, attribute) = layout.attributeBySlot[slot] else { return .nonExistent }
        let info = layout.blocks[index]
        // Resolve outside the store's lock: the data set store calls into this engine under its own lock.
        var binding: ReportBinding?
        if attribute == .datSet, case .string(let reference) = value, !reference.isEmpty {
            binding = Self.bind(reference, buffered: info.buffered, dataSets: dataSets, association: (client.id, associationSets))
        }
        let now = clock()
        let environment = ReportControlBlock.Environment(now: now, resolve: { _ in binding?.entry.members.count }, limits: limits)
        return store.update { state -> ControlBlockRefusal? in
            var block = state.reporting.blocks[index]
            let current = state.reporting.bindings[index]
            let actions: [ReportControlBlock.Action]
            do throws(ReportControlBlock.Refusal) {
                actions = try block.write(attribute, value, by: client, environment) { current?.snapshot(state.values) ?? [] }
            } catch {
                // An unknown EntryID still changes what the block reads back (the overflow flag).
                state.reporting.blocks[index] = block
                return switch error {
                case .temporarilyUnavailable: .temporarilyUnavailable
                case .accessDenied: .accessDenied
                case .valueInvalid: .valueInvalid
                case .typeInconsistent: .typeInconsistent
                }
            }
            state.reporting.blocks[index] = block
            if attribute == .datSet {
                state.reporting.bindings[index] = block.memberCount == nil ? nil : binding
                state.reporting.rebuildWatchers(slotCount: store.types.count)
            }
            perform(actions, block: index, now: now, &state)
            mirror(index, &state)
            return nil
        }
    }

    /// Whether a block's DatSet names this data set (its deletion is then refused).
    package func references(_ name: DataSetName) -> Bool {
        store.update { state in
            state.reporting.bindings.contains { $0?.name == name } || state.reporting.logBindings.contains { $0?.name == name }
        }
    }

    // MARK: Under the lock

    private func perform(_ actions: [ReportControlBlock.Action], block index: Int, now: ReportTime, _ state: inout ValueStore.State) {
        for action in actions {
            switch action {
            case .send(let content, let client):
                guard let binding = state.reporting.bindings[index], let sink = sinks.withLock({ $0[client] }) else { continue }
                sink(OutgoingReport(content: content, dataSet: binding.entry))
            case .schedule:
                break
            }
        }
        armTimer(index, now: now, &state)
    }

    /// Copies a block's attributes into its value slots, for reads.
    private func mirror(_ index: Int, _ state: inout ValueStore.State) {
        let info = layout.blocks[index]
        let block = state.reporting.blocks[index]
        for (offset, attribute) in info.attributes.enumerated() {
            state.values[info.firstSlot + offset] = block.value(of: attribute)
        }
    }
}
