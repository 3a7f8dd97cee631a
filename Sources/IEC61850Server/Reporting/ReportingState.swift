import IEC61850Model

/// The control blocks' state, kept under the value store's lock.
struct ReportingState: Sendable {
    var blocks: [ReportControlBlock]
    /// Each block's data set, resolved; nil while DatSet is empty.
    var bindings: [ReportBinding?]
    /// The log control blocks; their timers and watches are numbered after the report control blocks.
    var logBlocks: [LogControlBlock] = []
    var logBindings: [ReportBinding?] = []
    /// By value slot: which block's which member the slot belongs to. Empty when no block has a data set.
    var watchers: [[ReportWatch]] = []
    /// Each block's one armed timer: its deadline and the token that tells it from timers since replaced.
    var timers: [(deadline: UInt64, token: UInt64)?] = []
    var nextTimerToken: UInt64 = 0

    /// Rebuilds the slot index after a binding changed.
    mutating func rebuildWatchers(slotCount: Int) {
        var watchers = [[ReportWatch]](repeating: [], count: slotCount)
        var any = false
        for (block, binding) in (bindings + logBindings).enumerated() {
            guard let binding else { continue }
            for (member, slots) in binding.memberSlots.enumerated() {
                for slot in slots where slot < slotCount {
                    watchers[slot].append(ReportWatch(block: block, member: member))
                    any = true
                }
            }
        }
        self.watchers = any ? watchers : []
    }

    /// The earliest deadline of a block, numbered as the timers are (report blocks, then log blocks).
    func nextDeadline(of index: Int) -> UInt64? {
        index < blocks.count ? blocks[index].nextDeadline : logBlocks[index - blocks.count].nextDeadline
    }
}

/// A slot's place in a control block's data set.
struct ReportWatch: Sendable {
    let block: Int
    let member: Int
}

/// A control block's data set, resolved to value slots.
struct ReportBinding: Sendable {
    let name: DataSetName
    let entry: DataSetEntry
    /// Each member's basic attributes, in order.
    let memberSlots: [[Int]]
    /// The association whose `@name` data set this is, if it is one.
    let association: UInt64?

    init(name: DataSetName, entry: DataSetEntry, association: UInt64?) {
        self.name = name
        self.entry = entry
        self.association = association
        memberSlots = entry.members.map { member in
            var slots: [Int] = []
            member.variable.forEachLeaf { _, _, slot in slots.append(slot) }
            return slots
        }
    }

    func snapshot(_ values: borrowing [DataValue]) -> [[DataValue]] {
        memberSlots.map { slots in slots.map { values[$0] } }
    }
}

/// A report on its way to an association: the content and the data set that gives it its MMS shape.
struct OutgoingReport: Sendable {
    let content: ReportContent
    let dataSet: DataSetEntry
}
