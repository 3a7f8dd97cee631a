import IEC61850Model

/// One log control block (LCB, FC LG) as a state machine value (PROTOCOL.md §7).
///
/// Inputs are client writes, member changes and timer expiries, each with the time; the output is the
/// members to record in the log as one entry. The log itself (its storage and bounds) lives outside:
/// the block only knows the log's reference and mirrors the bounds it is told.
package struct LogControlBlock: Sendable {
    /// The attributes of the MMS structure, in their MMS order.
    package enum Attribute: Int, Sendable, CaseIterable {
        case logEna, logRef, datSet, oldEntrTm, newEntrTm, oldEntr, newEntr, trgOps, intgPd

        package var name: String {
            switch self {
            case .logEna: "LogEna"
            case .logRef: "LogRef"
            case .datSet: "DatSet"
            case .oldEntrTm: "OldEntrTm"
            case .newEntrTm: "NewEntrTm"
            case .oldEntr: "OldEntr"
            case .newEntr: "NewEntr"
            case .trgOps: "TrgOps"
            case .intgPd: "IntgPd"
            }
        }

        package var type: BasicType {
            switch self {
            case .logEna: .boolean
            case .logRef, .datSet: .visibleString(maxLength: 129)
            case .oldEntrTm, .newEntrTm: .entryTime
            case .oldEntr, .newEntr: .entryID
            case .trgOps: .trgOps
            case .intgPd: .int32u
            }
        }
    }

    /// Why a write is refused; the MMS side maps each to a DataAccessError.
    package enum Refusal: Error, Equatable {
        /// LogRef or DatSet written while logging (temporarily-unavailable).
        case temporarilyUnavailable
        /// A read-only attribute (object-access-denied).
        case accessDenied
        /// A LogRef or DatSet that names nothing (object-value-invalid).
        case valueInvalid
        /// Enabling without a log or a data set (object-attribute-inconsistent).
        case inconsistent
        /// A value of the wrong type (type-inconsistent).
        case typeInconsistent
    }

    /// What the block needs from its surroundings while handling a write.
    package struct Environment {
        package var now: ReportTime
        /// The member count of a data set, by DatSet reference; nil if it does not exist.
        package var resolveDataSet: (String) -> Int? = { _ in nil }
        /// Whether a log exists, by LogRef (`LD/LLN0$EventLog`).
        package var logExists: (String) -> Bool = { _ in false }
        /// What clients may write (IntgPd).
        package var limits = ControlBlockLimits()

        package init(
            now: ReportTime, resolveDataSet: @escaping (String) -> Int? = { _ in nil }, logExists: @escaping (String) -> Bool = { _ in false },
            limits: ControlBlockLimits = ControlBlockLimits()
        ) {
            self.now = now
            self.resolveDataSet = resolveDataSet
            self.logExists = logExists
            self.limits = limits
        }
    }

    /// What to record: the members of one entry, in data set order.
    package typealias Entry = [IncludedMember]

    package private(set) var enabled: Bool
    /// `LD/LLN0$EventLog`, or empty.
    package private(set) var logReference: String
    /// `LD/LLN0$Events`, or empty.
    package private(set) var dataSetReference: String
    /// The bound data set's member count; nil while DatSet is empty or unresolved.
    package private(set) var memberCount: Int?
    package private(set) var triggers: ReportTrigger
    package private(set) var integrityPeriod: UInt32
    /// The log's entries as last told (OldEntr… NewEntrTm); nil while the log is empty.
    package var bounds: LogBounds?
    private var integrityDeadline: UInt64?

    /// A block as the SCL configures it; it logs from the start when LogEna is set and both the log and
    /// the data set exist.
    package init(definition: LogControlDefinition, logReference: String, dataSetReference: String, memberCount: Int?, now: ReportTime) {
        self.logReference = logReference
        self.dataSetReference = memberCount == nil ? "" : dataSetReference
        self.memberCount = memberCount
        triggers = ReportTrigger(rawValue: definition.triggerOptions).intersection([.dataChange, .qualityChange, .dataUpdate, .integrity])
        integrityPeriod = definition.integrityPeriod
        enabled = false
        if definition.logEnabled && !logReference.isEmpty && memberCount != nil { enable(now: now) }
    }

    /// Whether entries are recorded now.
    package var isLogging: Bool { enabled && memberCount != nil && !logReference.isEmpty }

    /// The earliest time an integrity entry is due, if any.
    package var nextDeadline: UInt64? { integrityDeadline }

    // MARK: Client writes

    /// A client writes one attribute. Throws the refusal.
    package mutating func write(_ attribute: Attribute, _ value: DataValue, _ environment: Environment) throws(Refusal) {
        switch (attribute, value) {
        case (.oldEntrTm, _), (.newEntrTm, _), (.oldEntr, _), (.newEntr, _):
            throw .accessDenied
        case (.logEna, .boolean(let enable)):
            if enable && !enabled {
                guard memberCount != nil, !logReference.isEmpty else { throw .inconsistent }
                self.enable(now: environment.now)
            } else if !enable {
                enabled = false
                integrityDeadline = nil
            }
        case (.logRef, .string(let text)):
            guard !enabled else { throw .temporarilyUnavailable }
            guard text.isEmpty || environment.logExists(text) else { throw .valueInvalid }
            logReference = text
        case (.datSet, .string(let text)):
            guard !enabled else { throw .temporarilyUnavailable }
            let count: Int? = text.isEmpty ? nil : environment.resolveDataSet(text)
            guard text.isEmpty || count != nil else { throw .valueInvalid }
            dataSetReference = text
            memberCount = count
        case (.trgOps, .bits(let bits)):
            triggers = ReportTrigger(rawValue: bits).intersection([.dataChange, .qualityChange, .dataUpdate, .integrity])
            if enabled { scheduleIntegrity(now: environment.now) }
        case (.intgPd, .unsigned(let milliseconds)):
            guard environment.limits.admits(integrityPeriod: milliseconds) else { throw .valueInvalid }
            integrityPeriod = UInt32(clamping: milliseconds)
            if enabled { scheduleIntegrity(now: environment.now) }
        default:
            throw .typeInconsistent
        }
    }

    private mutating func enable(now: ReportTime) {
        enabled = true
        scheduleIntegrity(now: now)
    }

    private mutating func scheduleIntegrity(now: ReportTime) {
        integrityDeadline = integrityPeriod > 0 && triggers.contains(.integrity) ? now.adding(milliseconds: integrityPeriod) : nil
    }

    /// The bound data set disappeared or changed shape: logging stops.
    package mutating func dataSetRemoved() {
        enabled = false
        integrityDeadline = nil
        dataSetReference = ""
        memberCount = nil
    }

    // MARK: Events and timers

    /// Members changed (one update or one atomic batch): the entry to record, if the triggers ask for one.
    package func membersChanged(_ changes: [IncludedMember]) -> Entry? {
        guard isLogging else { return nil }
        let entry = changes.compactMap { change -> IncludedMember? in
            var change = change
            change.reason = change.reason.intersection(triggers)
            return change.reason.isEmpty ? nil : change
        }
        return entry.isEmpty ? nil : entry
    }

    /// A scheduled time came (or a timer fired early: nothing is due then). `snapshot` gives every
    /// member's values now, for an integrity entry.
    package mutating func timerFired(now time: ReportTime, snapshot: () -> [[DataValue]]) -> Entry? {
        let now = time.monotonicNanoseconds
        guard let deadline = integrityDeadline, now >= deadline, isLogging else { return nil }
        var next = deadline &+ UInt64(integrityPeriod) * 1_000_000
        if next <= now { next = now &+ UInt64(integrityPeriod) * 1_000_000 }  // fell behind: skip, do not burst
        integrityDeadline = next
        return snapshot().enumerated().map { IncludedMember(member: $0.offset, reason: .integrity, values: $0.element) }
    }

    // MARK: Attribute values

    /// The value a client reads for an attribute.
    package func value(of attribute: Attribute) -> DataValue {
        switch attribute {
        case .logEna: .boolean(enabled)
        case .logRef: .string(logReference)
        case .datSet: .string(dataSetReference)
        case .oldEntrTm: .entryTime(millisecondsSinceEpoch: bounds?.oldestTime.millisecondsSinceEpoch ?? 0)
        case .newEntrTm: .entryTime(millisecondsSinceEpoch: bounds?.newestTime.millisecondsSinceEpoch ?? 0)
        case .oldEntr: .octets(Self.entryIDOctets(bounds?.oldest ?? 0))
        case .newEntr: .octets(Self.entryIDOctets(bounds?.newest ?? 0))
        case .trgOps: .bits(triggers.rawValue)
        case .intgPd: .unsigned(UInt64(integrityPeriod))
        }
    }

    /// An entry identifier as its 8 octets on the wire (big-endian).
    package static func entryIDOctets(_ id: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: id >> (56 - 8 * UInt64($0))) }
    }

    /// An entry identifier from its 8 octets; nil for another length.
    package static func entryID(octets: [UInt8]) -> UInt64? {
        guard octets.count == 8 else { return nil }
        return octets.reduce(0) { $0 << 8 | UInt64($1) }
    }
}
