import IEC61850Services

/// What waits to be written to the database, as a value: log entries and events in arrival order, the
/// batch the writer is committing, and a bound on the total.
///
/// A batch leaves the queue only when its transaction has committed: a failed write (disk full, the file
/// locked by another program) keeps it for the next try, so nothing reported as committed is ever lost.
/// While the database cannot be written the queue fills up to `capacity`; then a tenth of it goes at
/// once, the oldest first (past the batch being written), value and quality changes before IEC 61850 log entries, and those before audit
/// events (commands, associations, security), so the trail of who did what is the last to go. What was
/// dropped is counted, to be recorded as soon as the database takes writes again.
struct WriteQueue: Sendable {
    private(set) var entries: [(log: String, entry: LogEntry)] = []
    private(set) var events: [GatewayEvent] = []
    let capacity: Int
    /// How many of the first entries and events the writer is committing now (never dropped).
    private var inFlightEntries = 0
    private var inFlightEvents = 0
    /// Dropped since the last report, and in all.
    private(set) var droppedEntries = 0
    private(set) var droppedEvents = 0
    private(set) var totalDropped = 0
    /// Everything ever queued, and everything committed or dropped (a flush waits for the two to meet).
    private(set) var queuedTotal = 0
    private(set) var settledTotal = 0
    /// Everything committed (settled less dropped).
    private(set) var committedTotal = 0

    init(capacity: Int, batchLimit: Int = 10_000) {
        self.capacity = max(10, capacity)
        self.batchLimit = max(1, batchLimit)
    }

    var count: Int { entries.count + events.count }
    var isEmpty: Bool { entries.isEmpty && events.isEmpty }

    mutating func append(_ entry: LogEntry, log: String) {
        makeRoom()
        entries.append((log, entry))
        queuedTotal += 1
    }

    mutating func append(_ event: GatewayEvent) {
        makeRoom()
        events.append(event)
        queuedTotal += 1
    }

    /// The most entries and events one transaction takes (10,000 of each): the rest stays droppable,
    /// oldest first, while the batch is retried (a whole full queue in flight could not make room).
    let batchLimit: Int

    /// The oldest of what is queued (at most `batchLimit` of each), for one transaction; it stays queued
    /// until ``committed()``.
    mutating func takeBatch() -> (entries: [(log: String, entry: LogEntry)], events: [GatewayEvent]) {
        inFlightEntries = min(entries.count, batchLimit)
        inFlightEvents = min(events.count, batchLimit)
        return (Array(entries.prefix(inFlightEntries)), Array(events.prefix(inFlightEvents)))
    }

    /// The batch's transaction committed: it leaves the queue.
    mutating func committed() {
        entries.removeFirst(inFlightEntries)
        events.removeFirst(inFlightEvents)
        settledTotal += inFlightEntries + inFlightEvents
        committedTotal += inFlightEntries + inFlightEvents
        inFlightEntries = 0
        inFlightEvents = 0
        // A burst must not keep its high-water capacity for good: the first poll of a large plant is an
        // event per point, and 100,000 queued events held 22 MB after they were written.
        if entries.isEmpty && entries.capacity > Self.keptCapacity { entries = [] }
        if events.isEmpty && events.capacity > Self.keptCapacity { events = [] }
    }

    /// The most elements an emptied queue keeps room for.
    static let keptCapacity = 4096

    /// The batch's transaction failed: it stays queued, ahead of what came since, for the next try.
    mutating func failed() {
        inFlightEntries = 0
        inFlightEvents = 0
    }

    /// The counts dropped since the last call, if any were.
    mutating func takeDropped() -> (entries: Int, events: Int)? {
        guard droppedEntries > 0 || droppedEvents > 0 else { return nil }
        defer {
            droppedEntries = 0
            droppedEvents = 0
        }
        return (droppedEntries, droppedEvents)
    }

    /// Counts taken with ``takeDropped()`` that could not be recorded: reported again next time.
    mutating func restoreDropped(_ dropped: (entries: Int, events: Int)) {
        droppedEntries += dropped.entries
        droppedEvents += dropped.events
    }

    private mutating func makeRoom() {
        guard count >= capacity else { return }
        let chunk = max(1, capacity / 10)
        if dropEvents(chunk, where: { !$0.kind.isAudit }) > 0 { return }
        let droppable = entries.count - inFlightEntries
        if droppable > 0 {
            let removed = min(chunk, droppable)
            entries.removeSubrange(inFlightEntries..<(inFlightEntries + removed))
            droppedEntries += removed
            totalDropped += removed
            settledTotal += removed
            return
        }
        _ = dropEvents(chunk, where: { _ in true })
    }

    /// Drops up to `limit` of the oldest events (not in flight) that `eligible` picks; returns how many.
    private mutating func dropEvents(_ limit: Int, where eligible: (GatewayEvent) -> Bool) -> Int {
        var removed = 0
        var kept: [GatewayEvent] = []
        kept.reserveCapacity(events.count)
        for (index, event) in events.enumerated() {
            if index >= inFlightEvents && removed < limit && eligible(event) {
                removed += 1
            } else {
                kept.append(event)
            }
        }
        guard removed > 0 else { return 0 }
        events = kept
        droppedEvents += removed
        totalDropped += removed
        settledTotal += removed
        return removed
    }
}

extension GatewayEvent.Kind {
    /// Commands, associations, security, storage and configuration events: the audit trail, kept apart
    /// from the process events (value, quality, communication) so a flood of these cannot push it out.
    public var isAudit: Bool {
        switch self {
        case .value, .quality, .communication: false
        case .command, .association, .security, .storage, .configuration, .substitution, .role: true
        }
    }
}
