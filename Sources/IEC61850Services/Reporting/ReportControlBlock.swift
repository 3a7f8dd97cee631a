import IEC61850Model

/// One report control block instance (URCB or BRCB) as a state machine value (PROTOCOL.md §5).
///
/// Inputs are client writes, member changes, timer expiries and association ends, each with the time;
/// outputs are actions (send a report to a client, wake me at a time). No clock, lock or socket inside,
/// so tests drive it with a fake clock.
package struct ReportControlBlock: Sendable {
    /// The attributes of the MMS structure, in their MMS order (URCB and BRCB differ).
    package enum Attribute: Sendable, CaseIterable {
        case rptID, rptEna, resv, datSet, confRev, optFlds, bufTm, sqNum, trgOps, intgPd, gi, purgeBuf, entryID, timeOfEntry, resvTms, owner

        package static func members(buffered: Bool) -> [Attribute] {
            buffered
                ? [.rptID, .rptEna, .datSet, .confRev, .optFlds, .bufTm, .sqNum, .trgOps, .intgPd, .gi, .purgeBuf, .entryID, .timeOfEntry, .resvTms, .owner]
                : [.rptID, .rptEna, .resv, .datSet, .confRev, .optFlds, .bufTm, .sqNum, .trgOps, .intgPd, .gi, .owner]
        }

        /// The MMS component name (the 8-1 spelling `TimeofEntry`).
        package var name: String {
            switch self {
            case .rptID: "RptID"
            case .rptEna: "RptEna"
            case .resv: "Resv"
            case .datSet: "DatSet"
            case .confRev: "ConfRev"
            case .optFlds: "OptFlds"
            case .bufTm: "BufTm"
            case .sqNum: "SqNum"
            case .trgOps: "TrgOps"
            case .intgPd: "IntgPd"
            case .gi: "GI"
            case .purgeBuf: "PurgeBuf"
            case .entryID: "EntryID"
            case .timeOfEntry: "TimeofEntry"
            case .resvTms: "ResvTms"
            case .owner: "Owner"
            }
        }

        package func type(buffered: Bool) -> BasicType {
            switch self {
            case .rptID, .datSet: .visibleString(maxLength: 129)
            case .rptEna, .resv, .gi, .purgeBuf: .boolean
            case .confRev, .bufTm, .intgPd: .int32u
            case .optFlds: .optFlds
            case .trgOps: .trgOps
            case .sqNum: buffered ? .int16u : .int8u
            case .entryID: .entryID
            case .timeOfEntry: .entryTime
            case .resvTms: .int16
            case .owner: .octetString(maxLength: 64)
            }
        }
    }

    /// The association a block serves: its id and its peer's IP address (the Owner attribute).
    package struct Client: Sendable, Equatable {
        package let id: UInt64
        package let address: [UInt8]

        package init(id: UInt64, address: [UInt8]) {
            self.id = id
            self.address = address
        }
    }

    /// Why a write is refused; the MMS side maps each to a DataAccessError.
    package enum Refusal: Error, Equatable {
        /// Enabled, or reserved by another client (temporarily-unavailable).
        case temporarilyUnavailable
        /// A read-only attribute (object-access-denied).
        case accessDenied
        /// A DatSet that does not exist, an unknown EntryID (object-value-invalid).
        case valueInvalid
        /// A value of the wrong type (type-inconsistent).
        case typeInconsistent
    }

    package enum Action: Sendable, Equatable {
        case send(ReportContent, to: UInt64)
        /// Call ``timerFired(now:snapshot:)`` at this monotonic time (early or repeated calls are harmless).
        case schedule(atNanoseconds: UInt64)
    }

    /// What the block needs from its surroundings while handling an input.
    package struct Environment {
        package var now: ReportTime
        /// The number of members of a data set, by DatSet reference; nil if it does not exist.
        package var resolve: (String) -> Int? = { _ in nil }
        /// What clients may write (IntgPd, ResvTms).
        package var limits = ControlBlockLimits()

        package init(now: ReportTime, resolve: @escaping (String) -> Int? = { _ in nil }, limits: ControlBlockLimits = ControlBlockLimits()) {
            self.now = now
            self.resolve = resolve
            self.limits = limits
        }
    }

    private struct Pending: Sendable {
        var members: [Int: IncludedMember] = [:]
        var deadline: UInt64
        var timeOfEntry: UInt64
    }

    package let buffered: Bool
    /// The RptID used when RptID is empty (`LD/LLN0$RP$name`).
    package let defaultRptID: String
    package private(set) var rptID: String
    package private(set) var enabled = false
    package private(set) var dataSetReference: String
    /// The bound data set's member count; nil while DatSet is empty or unresolved.
    package private(set) var memberCount: Int?
    package private(set) var confRev: UInt32
    package private(set) var options: ReportOptions
    package private(set) var bufferTime: UInt32
    package private(set) var sequenceNumber: UInt32 = 0
    package private(set) var triggers: ReportTrigger
    package private(set) var integrityPeriod: UInt32
    package private(set) var reservationTime: Int16 = 0
    /// The client that reserved or enabled the block.
    package private(set) var owner: Client?
    /// A BRCB's reservation kept for a client address after its association ended (ResvTms).
    package private(set) var reservedAddress: [UInt8]?
    private var reservationDeadline: UInt64?
    package private(set) var lastEntryID = [UInt8](repeating: 0, count: 8)
    package private(set) var lastTimeOfEntry: UInt64 = 0
    package private(set) var buffer: ReportBuffer
    private var pending: Pending?
    private var integrityDeadline: UInt64?
    private var resynchronised = false

    package init(definition: ReportControlDefinition, defaultRptID: String, dataSetReference: String, memberCount: Int?, bufferCapacity: Int) {
        buffered = definition.buffered
        self.defaultRptID = defaultRptID
        rptID = definition.rptID
        self.dataSetReference = memberCount == nil ? "" : dataSetReference
        self.memberCount = memberCount
        confRev = definition.confRev
        options = ReportOptions(rawValue: definition.optionalFields).intersection(.all)
        bufferTime = definition.bufferTime
        triggers = ReportTrigger(rawValue: definition.triggerOptions).intersection(.all)
        integrityPeriod = definition.integrityPeriod
        buffer = ReportBuffer(capacity: bufferCapacity)
    }

    /// Whether the block records events now: enabled, or a BRCB with a data set (it buffers while disabled).
    package var isCollecting: Bool { memberCount != nil && (enabled || buffered) }

    /// The URCB Resv attribute.
    package var isReserved: Bool { owner != nil }

    /// The Owner attribute: the reserving client's address, or empty.
    package var ownerAddress: [UInt8] { owner?.address ?? reservedAddress ?? [] }

    /// The RptID a report carries.
    package var effectiveRptID: String { rptID.isEmpty ? defaultRptID : rptID }
}

// MARK: - Client writes

extension ReportControlBlock {
    /// A client writes one attribute. Throws the refusal; returns what to do on success.
    ///
    /// `snapshot` gives every member's values now (for the report a GI write makes).
    package mutating func write(
        _ attribute: Attribute, _ value: DataValue, by client: Client, _ environment: Environment, snapshot: () -> [[DataValue]] = { [] }
    ) throws(Refusal) -> [Action] {
        let now = environment.now
        switch attribute {
        case .confRev, .sqNum, .timeOfEntry, .owner: throw .accessDenied
        default: break
        }
        try checkReservation(for: client, now: now)
        var actions: [Action] = []
        switch (attribute, value) {
        case (.rptEna, .boolean(let enable)):
            if enable && !enabled {
                guard memberCount != nil else { throw .temporarilyUnavailable }
                actions = enable_(client, now: now)
            } else if !enable && enabled {
                disable()
            }
        case (.gi, .boolean(let start)):
            guard start else { break }
            guard enabled else { throw .temporarilyUnavailable }
            if triggers.contains(.generalInterrogation) { actions = flushPending() + emit(all: .generalInterrogation, now: now, snapshot()) }
        case _ where enabled:
            throw .temporarilyUnavailable
        case (.rptID, .string(let text)):
            if text != rptID { purgeIfBuffered() }
            rptID = text
        case (.resv, .boolean(let reserve)):
            owner = reserve ? client : nil
            return []
        case (.datSet, .string(let text)):
            let count: Int? = text.isEmpty ? nil : environment.resolve(text)
            guard text.isEmpty || count != nil else { throw .valueInvalid }
            if text != dataSetReference {
                confRev &+= 1
                buffer.purge()
                pending = nil
            }
            dataSetReference = text
            memberCount = count
        case (.optFlds, .bits(let bits)):
            options = ReportOptions(rawValue: bits).intersection(.all)
        case (.bufTm, .unsigned(let milliseconds)):
            if UInt32(clamping: milliseconds) != bufferTime { purgeIfBuffered() }
            bufferTime = UInt32(clamping: milliseconds)
        case (.trgOps, .bits(let bits)):
            let new = ReportTrigger(rawValue: bits).intersection(.all)
            if new != triggers { purgeIfBuffered() }
            triggers = new
        case (.intgPd, .unsigned(let milliseconds)):
            guard environment.limits.admits(integrityPeriod: milliseconds) else { throw .valueInvalid }
            if UInt32(clamping: milliseconds) != integrityPeriod { purgeIfBuffered() }
            integrityPeriod = UInt32(clamping: milliseconds)
        case (.purgeBuf, .boolean(let purge)):
            if purge { buffer.purge() }
        case (.entryID, .octets(let id)):
            guard id.count == 8 else { throw .valueInvalid }
            guard buffer.resynchronise(after: id) else {
                buffer.overflow = true
                throw .valueInvalid
            }
            lastEntryID = id
            resynchronised = true
        case (.resvTms, .integer(let seconds)):
            guard environment.limits.admits(reservationTime: seconds) else { throw .valueInvalid }
            reservationTime = Int16(clamping: seconds)
        default:
            throw .typeInconsistent
        }
        owner = client  // a successful write reserves the block (implicit reservation)
        return actions
    }

    /// Refuses a client that does not hold the block's reservation while someone else does.
    private mutating func checkReservation(for client: Client, now: ReportTime) throws(Refusal) {
        if let owner {
            guard owner.id == client.id else { throw .temporarilyUnavailable }
            return
        }
        if let address = reservedAddress {
            if let deadline = reservationDeadline, now.monotonicNanoseconds >= deadline {
                reservedAddress = nil
                reservationDeadline = nil
            } else if address != client.address {
                throw .temporarilyUnavailable
            }
        }
    }

    private mutating func purgeIfBuffered() {
        if buffered { buffer.purge() }
    }

    private mutating func enable_(_ client: Client, now: ReportTime) -> [Action] {
        enabled = true
        owner = client
        reservedAddress = nil
        reservationDeadline = nil
        sequenceNumber = 0
        var actions: [Action] = []
        if buffered {
            if !resynchronised && !buffer.isEmpty {
                // libIEC61850's rule: without a resync point, start again from the oldest entry and say that
                // continuity is not guaranteed.
                buffer.rewind()
                buffer.overflow = true
            }
            resynchronised = false
            actions += sendBuffered()
        } else {
            pending = nil
        }
        if integrityPeriod > 0 && triggers.contains(.integrity) {
            let deadline = now.adding(milliseconds: integrityPeriod)
            integrityDeadline = deadline
            actions.append(.schedule(atNanoseconds: deadline))
        }
        return actions
    }

    private mutating func disable() {
        enabled = false
        integrityDeadline = nil
        if !buffered { pending = nil }
    }
}

// MARK: - Events and timers

extension ReportControlBlock {
    /// Members changed (one update or one atomic batch): at most one report per call unless BufTm forces
    /// the pending one out first.
    package mutating func membersChanged(_ changes: [IncludedMember], now: ReportTime) -> [Action] {
        guard isCollecting else { return [] }
        let relevant = changes.compactMap { change -> IncludedMember? in
            var change = change
            change.reason = change.reason.intersection(triggers)
            return change.reason.isEmpty ? nil : change
        }
        guard !relevant.isEmpty else { return [] }
        var actions: [Action] = []
        if let current = pending,
            relevant.contains(where: { change in current.members[change.member].map { !$0.reason.isDisjoint(with: change.reason) } ?? false })
        {
            // The same member triggers again for the same reason inside BufTm: the pending report goes first.
            actions += flushPending()
        }
        if pending == nil {
            let deadline = now.adding(milliseconds: bufferTime)
            pending = Pending(deadline: deadline, timeOfEntry: now.utcMilliseconds)
            if bufferTime > 0 { actions.append(.schedule(atNanoseconds: deadline)) }
        }
        for change in relevant {
            if var existing = pending!.members[change.member] {
                existing.reason.formUnion(change.reason)
                existing.values = change.values
                pending!.members[change.member] = existing
            } else {
                pending!.members[change.member] = change
            }
        }
        if bufferTime == 0 { actions += flushPending() }
        return actions
    }

    /// A scheduled time came (or a timer fired early: nothing is due then). `snapshot` gives every
    /// member's values now, for an integrity report.
    package mutating func timerFired(now time: ReportTime, snapshot: () -> [[DataValue]]) -> [Action] {
        let now = time.monotonicNanoseconds
        var actions: [Action] = []
        if let current = pending, now >= current.deadline { actions += flushPending() }
        if let deadline = integrityDeadline, now >= deadline, enabled {
            actions += flushPending()
            actions += emit(all: .integrity, now: time, snapshot())
            var next = deadline &+ UInt64(integrityPeriod) * 1_000_000
            if next <= now { next = now &+ UInt64(integrityPeriod) * 1_000_000 }  // fell behind: skip, do not burst
            integrityDeadline = next
            actions.append(.schedule(atNanoseconds: next))
        }
        if let deadline = reservationDeadline, now >= deadline {
            reservedAddress = nil
            reservationDeadline = nil
        }
        return actions
    }

    /// The owner's association ended: a URCB is released; a BRCB keeps buffering and stays reserved for
    /// ResvTms seconds for the client's address.
    package mutating func associationClosed(_ client: Client, now: ReportTime) -> [Action] {
        guard owner?.id == client.id else { return [] }
        if enabled { disable() }
        owner = nil
        guard buffered, reservationTime != 0 else { return [] }
        reservedAddress = client.address
        if reservationTime > 0 {
            let deadline = now.monotonicNanoseconds &+ UInt64(reservationTime) * 1_000_000_000
            reservationDeadline = deadline
            return [.schedule(atNanoseconds: deadline)]
        }
        return []
    }

    /// The bound data set changed shape or disappeared (an association-specific set ended).
    package mutating func dataSetRemoved() {
        if enabled { disable() }
        dataSetReference = ""
        memberCount = nil
        pending = nil
        buffer.purge()
    }

    private mutating func emit(all reason: ReportTrigger, now: ReportTime, _ values: [[DataValue]]) -> [Action] {
        let members = values.enumerated().map { IncludedMember(member: $0.offset, reason: reason, values: $0.element) }
        return produce(members, timeOfEntry: now.utcMilliseconds)
    }

    /// The earliest time something is due (pending BufTm, integrity, reservation end), if any.
    package var nextDeadline: UInt64? {
        [pending?.deadline, integrityDeadline, reservationDeadline].compactMap { $0 }.min()
    }

    private mutating func flushPending() -> [Action] {
        guard let current = pending else { return [] }
        pending = nil
        let members = current.members.values.sorted { $0.member < $1.member }
        return produce(members, timeOfEntry: current.timeOfEntry)
    }

    /// Makes a report: a URCB sends it; a BRCB buffers it and sends what is unsent when enabled.
    private mutating func produce(_ members: [IncludedMember], timeOfEntry: UInt64) -> [Action] {
        guard let memberCount, !members.isEmpty else { return [] }
        var content = ReportContent(
            rptID: effectiveRptID, options: options, timeOfEntry: timeOfEntry, dataSetReference: dataSetReference,
            configurationRevision: confRev, memberCount: memberCount, members: members)
        lastTimeOfEntry = timeOfEntry
        if buffered {
            lastEntryID = buffer.append(content, utcMilliseconds: timeOfEntry)
            return enabled ? sendBuffered() : []
        }
        guard enabled, let owner else { return [] }
        content.sequenceNumber = sequenceNumber
        sequenceNumber = (sequenceNumber + 1) & 0xFF
        return [.send(content, to: owner.id)]
    }

    private mutating func sendBuffered() -> [Action] {
        guard let owner else { return [] }
        var actions: [Action] = []
        for entry in buffer.takeUnsent() {
            var content = entry.content
            // The optional fields are the block's when the report goes out, as for a live one: a client that
            // sets OptFlds before enabling gets them in the entries buffered while it was away too.
            content.options = options
            content.sequenceNumber = sequenceNumber
            sequenceNumber = (sequenceNumber + 1) & 0xFFFF
            content.bufferOverflow = buffer.overflow
            buffer.overflow = false
            lastEntryID = entry.id
            lastTimeOfEntry = content.timeOfEntry
            actions.append(.send(content, to: owner.id))
        }
        return actions
    }
}

// MARK: - Attribute values

extension ReportControlBlock {
    /// The value a client reads for an attribute.
    package func value(of attribute: Attribute) -> DataValue {
        switch attribute {
        case .rptID: .string(effectiveRptID)  // an empty configured RptID reads as the reports carry it: the block's reference
        case .rptEna: .boolean(enabled)
        case .resv: .boolean(isReserved)
        case .datSet: .string(dataSetReference)
        case .confRev: .unsigned(UInt64(confRev))
        case .optFlds: .bits(options.rawValue)
        case .bufTm: .unsigned(UInt64(bufferTime))
        case .sqNum: .unsigned(UInt64(sequenceNumber))
        case .trgOps: .bits(triggers.rawValue)
        case .intgPd: .unsigned(UInt64(integrityPeriod))
        case .gi, .purgeBuf: .boolean(false)
        case .entryID: .octets(lastEntryID)
        case .timeOfEntry: .entryTime(millisecondsSinceEpoch: lastTimeOfEntry)
        case .resvTms: .integer(Int64(reservationTime))
        case .owner: .octets(ownerAddress)
        }
    }
}
