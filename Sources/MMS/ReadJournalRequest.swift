import BERCodec
import NIOCore

/// ReadJournal-Request (ISO 9506-2, confirmed service 65; PROTOCOL.md §7): which journal, and which of
/// its entries. IEC 61850's QueryLogByTime sends a start and an end time; QueryLogAfter sends the entry
/// to start after.
public struct ReadJournalRequest: Sendable, Equatable {
    /// An MMS TimeOfDay: milliseconds since midnight, and days since 1984-01-01 unless it means today.
    public struct TimeOfDay: Sendable, Equatable {
        public var milliseconds: UInt32
        public var days: UInt16?

        public init(milliseconds: UInt32, days: UInt16?) {
            self.milliseconds = milliseconds
            self.days = days
        }

        /// UTC milliseconds since 1970; `now` (UTC milliseconds) supplies the date of a time without one.
        public func millisecondsSinceEpoch(now: UInt64) -> UInt64 {
            let day = days.map { UInt64($0) + ReadJournalRequest.daysFrom1970To1984 } ?? now / 86_400_000
            return day * 86_400_000 + UInt64(milliseconds)
        }
    }

    public enum RangeStart: Sendable, Equatable {
        case time(TimeOfDay)
        /// An entry identifier (8 octets from this server).
        case entry([UInt8])
    }

    public enum RangeStop: Sendable, Equatable {
        case time(TimeOfDay)
        case numberOfEntries(Int64)
    }

    public var journal: ObjectName
    public var rangeStart: RangeStart?
    public var rangeStop: RangeStop?
    /// Entries after this one (its time and identifier).
    public var startAfter: (time: TimeOfDay, entry: [UInt8])?

    public init(journal: ObjectName, rangeStart: RangeStart? = nil, rangeStop: RangeStop? = nil, startAfter: (time: TimeOfDay, entry: [UInt8])? = nil) {
        self.journal = journal
        self.rangeStart = rangeStart
        self.rangeStop = rangeStop
        self.startAfter = startAfter
    }

    public static func == (lhs: ReadJournalRequest, rhs: ReadJournalRequest) -> Bool {
        lhs.journal == rhs.journal && lhs.rangeStart == rhs.rangeStart && lhs.rangeStop == rhs.rangeStop
            && lhs.startAfter?.time == rhs.startAfter?.time && lhs.startAfter?.entry == rhs.startAfter?.entry
    }

    static func decode(_ element: BERElement) throws -> ReadJournalRequest {
        var reader = element.children
        var nameReader = try reader.readElement(.contextConstructed(0)).children
        var request = ReadJournalRequest(journal: try ObjectName.decode(nameReader.readElement()))
        while !reader.isAtEnd {
            let field = try reader.readElement()
            switch field.tag {
            case .contextConstructed(1):
                var inner = field.children
                let choice = try inner.readElement()
                switch choice.tag {
                case .context(0): request.rangeStart = .time(try timeOfDay(choice))
                case .context(1): request.rangeStart = .entry(choice.bytes)
                default: throw MMSDecodeError.invalidArgument("rangeStartSpecification \(choice.tag)")
                }
            case .contextConstructed(2):
                var inner = field.children
                let choice = try inner.readElement()
                switch choice.tag {
                case .context(0): request.rangeStop = .time(try timeOfDay(choice))
                case .context(1): request.rangeStop = .numberOfEntries(try choice.integerValue())
                default: throw MMSDecodeError.invalidArgument("rangeStopSpecification \(choice.tag)")
                }
            case .contextConstructed(4):
                continue  // listOfVariables: every entry carries all its variables
            case .contextConstructed(5):
                var inner = field.children
                let time = try timeOfDay(inner.readElement(.context(0)))
                let entry = try inner.readElement(.context(1)).bytes
                request.startAfter = (time, entry)
            default:
                throw MMSDecodeError.invalidArgument("ReadJournal field \(field.tag)")
            }
        }
        return request
    }

    /// TimeOfDay: 6 octets (milliseconds since midnight, days since 1984-01-01) or 4 (today).
    static func timeOfDay(_ element: BERElement) throws -> TimeOfDay {
        let octets = element.bytes
        guard octets.count == 6 || octets.count == 4 else { throw MMSDecodeError.invalidArgument("TimeOfDay of \(octets.count) octets") }
        let milliseconds = octets[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard milliseconds < 86_400_000 else { throw MMSDecodeError.invalidArgument("TimeOfDay past midnight") }
        return TimeOfDay(milliseconds: milliseconds, days: octets.count == 6 ? octets[4..<6].reduce(UInt16(0)) { $0 << 8 | UInt16($1) } : nil)
    }

    /// 1970-01-01 to 1984-01-01, the TimeOfDay epoch.
    public static let daysFrom1970To1984: UInt64 = 5113

    /// Writes a 6-octet TimeOfDay.
    public static func writeTimeOfDay(_ tag: BERTag, millisecondsSinceEpoch ms: UInt64, into buffer: inout ByteBuffer) {
        let days = ms / 86_400_000
        buffer.writeBERElement(tag) { body in
            body.writeInteger(UInt32(ms % 86_400_000))
            body.writeInteger(UInt16(truncatingIfNeeded: days >= daysFrom1970To1984 ? days - daysFrom1970To1984 : 0))
        }
    }
}
