import IEC61850Model

/// The control blocks' state, kept under the value store's lock.
package struct ReportingState: Sendable {
    package var blocks: [ReportControlBlock]
    /// Each block's data set, resolved; nil while DatSet is empty.
    package var bindings: [ReportBinding?]
    /// The log control blocks; their timers and watches are numbered after the report control blocks.
    package var logBlocks: [LogControlBlock] = []
    package var logBindings: [ReportBinding?] = []
    /// By value slot: which block's which member the slot belongs to. Empty when no block has a data set.
    package var watchers: [[ReportWatch]] = []
    /// Each block's one armed timer: its deadline and the token that tells it from timers since replaced.
    package var timers: [(deadline: UInt64, token: UInt64)?] = []
    package var nextTimerToken: UInt64 = 0

    /// Rebuilds the slot index after a binding changed.
    package mutating func rebuildWatchers(slotCount: Int) {
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
    package func nextDeadline(of index: Int) -> UInt64? {
        index < blocks.count ? blocks[index].nextDeadline : logBlocks[index - blocks.count].nextDeadline
    }

    package init(
        blocks: [ReportControlBlock], bindings: [ReportBinding?], logBlocks: [LogControlBlock] = [], logBindings: [ReportBinding?] = [],
        watchers: [[ReportWatch]] = [], timers: [(deadline: UInt64, token: UInt64)?] = [], nextTimerToken: UInt64 = 0
    ) {
        self.blocks = blocks
        self.bindings = bindings
        self.logBlocks = logBlocks
        self.logBindings = logBindings
        self.watchers = watchers
        self.timers = timers
        self.nextTimerToken = nextTimerToken
    }
}

/// A slot's place in a control block's data set.
package struct ReportWatch: Sendable {
    package let block: Int
    package let member: Int

    package init(block: Int, member: Int) {
        self.block = block
        self.member = member
    }
}

/// A control block's data set, resolved to value slots.
package struct ReportBinding: Sendable {
    package let name: DataSetName
    package let entry: DataSetEntry
    /// Each member's basic attributes, in order.
    package let memberSlots: [[Int]]
    /// The association whose `@name` data set this is, if it is one.
    package let association: UInt64?

    package init(name: DataSetName, entry: DataSetEntry, association: UInt64?) {
        self.name = name
        self.entry = entry
        self.association = association
        memberSlots = entry.members.map(\.slots)
    }

    package func snapshot(_ values: borrowing [DataValue]) -> [[DataValue]] {
        memberSlots.map { slots in slots.map { values[$0] } }
    }
}

/// A report on its way to an association: the content, and the data set whose members give it its shape.
package struct OutgoingReport: Sendable {
    package let content: ReportContent
    package let dataSet: DataSetEntry

    package init(content: ReportContent, dataSet: DataSetEntry) {
        self.content = content
        self.dataSet = dataSet
    }
}
