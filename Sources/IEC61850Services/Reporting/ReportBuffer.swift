/// The entries a buffered report control block keeps (IEC 61850-7-2 17.2.1): bounded, oldest dropped.
///
/// Entries stay after they are sent, so a client that comes back can resynchronise from the EntryID it
/// saw last. `next` is the ordinal of the first entry not yet sent.
package struct ReportBuffer: Sendable {
    package struct Entry: Sendable, Equatable {
        package let ordinal: UInt64
        package let id: [UInt8]
        package var content: ReportContent

        package init(ordinal: UInt64, id: [UInt8], content: ReportContent) {
            self.ordinal = ordinal
            self.id = id
            self.content = content
        }
    }

    package let capacity: Int
    package private(set) var entries: [Entry] = []
    private var head = 0
    private var nextOrdinal: UInt64 = 0
    /// The ordinal of the next entry to send.
    package private(set) var next: UInt64 = 0
    /// Set when an entry was dropped before it was sent, or a resync point was lost; cleared when the next
    /// report carries it.
    package var overflow = false
    private var lastID: UInt64 = 0

    package init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    package var count: Int { entries.count - head }
    package var isEmpty: Bool { count == 0 }
    private var firstOrdinal: UInt64 { isEmpty ? nextOrdinal : entries[head].ordinal }

    /// Adds an entry; its ID is the UTC time in milliseconds, made strictly increasing (as libIEC61850 does).
    package mutating func append(_ content: ReportContent, utcMilliseconds: UInt64) -> [UInt8] {
        lastID = max(lastID &+ 1, utcMilliseconds)
        let id = Self.bytes(lastID)
        var stored = content
        stored.entryID = id
        entries.append(Entry(ordinal: nextOrdinal, id: id, content: stored))
        nextOrdinal += 1
        if count > capacity {
            if entries[head].ordinal >= next { overflow = true }
            head += 1
            if head > 64 && head * 2 > entries.count {
                entries.removeFirst(head)
                head = 0
            }
        }
        next = max(next, firstOrdinal)
        return id
    }

    /// The entries not sent yet, marking them sent.
    package mutating func takeUnsent() -> ArraySlice<Entry> {
        let start = head + Int(next - firstOrdinal)
        next = nextOrdinal
        return entries[start...]
    }

    /// Positions the buffer after the entry with `id`; all zeros means from the oldest. False if unknown.
    package mutating func resynchronise(after id: [UInt8]) -> Bool {
        if id.allSatisfy({ $0 == 0 }) {
            next = firstOrdinal
            return true
        }
        guard let entry = entries[head...].first(where: { $0.id == id }) else { return false }
        next = entry.ordinal + 1
        return true
    }

    /// Restarts from the oldest entry (libIEC61850's rule when a client enables without resynchronising).
    package mutating func rewind() {
        next = firstOrdinal
    }

    package mutating func purge() {
        entries.removeAll()
        head = 0
        next = nextOrdinal
        overflow = false
    }

    package static func bytes(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
    }
}
