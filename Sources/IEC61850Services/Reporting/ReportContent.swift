import IEC61850Model

/// Trigger conditions and reasons for inclusion, as the TrgOps and ReasonCode bit strings number them
/// (bit n is `1 << n`; PROTOCOL.md §5.2).
package struct ReportTrigger: OptionSet, Sendable, Hashable {
    package let rawValue: UInt32
    package init(rawValue: UInt32) { self.rawValue = rawValue }
    package static let dataChange = ReportTrigger(rawValue: 1 << 1)
    package static let qualityChange = ReportTrigger(rawValue: 1 << 2)
    package static let dataUpdate = ReportTrigger(rawValue: 1 << 3)
    package static let integrity = ReportTrigger(rawValue: 1 << 4)
    package static let generalInterrogation = ReportTrigger(rawValue: 1 << 5)
    /// Every bit a TrgOps value may carry.
    package static let all: ReportTrigger = [.dataChange, .qualityChange, .dataUpdate, .integrity, .generalInterrogation]
}

/// The OptFlds bits (bit n is `1 << n`; PROTOCOL.md §5.2).
package struct ReportOptions: OptionSet, Sendable, Hashable {
    package let rawValue: UInt32
    package init(rawValue: UInt32) { self.rawValue = rawValue }
    package static let sequenceNumber = ReportOptions(rawValue: 1 << 1)
    package static let reportTimeStamp = ReportOptions(rawValue: 1 << 2)
    package static let reasonCode = ReportOptions(rawValue: 1 << 3)
    package static let dataSetName = ReportOptions(rawValue: 1 << 4)
    package static let dataReference = ReportOptions(rawValue: 1 << 5)
    package static let bufferOverflow = ReportOptions(rawValue: 1 << 6)
    package static let entryID = ReportOptions(rawValue: 1 << 7)
    package static let configurationRevision = ReportOptions(rawValue: 1 << 8)
    package static let segmentation = ReportOptions(rawValue: 1 << 9)
    /// Every bit an OptFlds value may carry.
    package static let all = ReportOptions(rawValue: 0x3FE)
}

/// A point in time as the control blocks see it: a monotonic clock for timers, UTC for time stamps.
package struct ReportTime: Sendable, Equatable {
    package var monotonicNanoseconds: UInt64
    package var utcMilliseconds: UInt64

    package func adding(milliseconds: UInt32) -> UInt64 {
        monotonicNanoseconds &+ UInt64(milliseconds) * 1_000_000
    }

    package init(monotonicNanoseconds: UInt64, utcMilliseconds: UInt64) {
        self.monotonicNanoseconds = monotonicNanoseconds
        self.utcMilliseconds = utcMilliseconds
    }
}

/// One data set member in a report: which, why, and its values (the member's basic attributes in order).
package struct IncludedMember: Sendable, Equatable {
    package var member: Int
    package var reason: ReportTrigger
    package var values: [DataValue]

    package init(member: Int, reason: ReportTrigger, values: [DataValue]) {
        self.member = member
        self.reason = reason
        self.values = values
    }
}

/// A report made by a control block, in model terms; the MMS side encodes it (PROTOCOL.md §5.3).
package struct ReportContent: Sendable, Equatable {
    package var rptID: String
    /// OptFlds as configured; the encoder drops what does not apply (entry fields of a URCB).
    package var options: ReportOptions
    package var sequenceNumber: UInt32 = 0
    /// UTC milliseconds of the first event in the report.
    package var timeOfEntry: UInt64
    package var dataSetReference: String
    package var bufferOverflow = false
    package var entryID: [UInt8]? = nil
    package var configurationRevision: UInt32
    package var memberCount: Int
    /// In data set order.
    package var members: [IncludedMember]

    package init(
        rptID: String, options: ReportOptions, sequenceNumber: UInt32 = 0, timeOfEntry: UInt64, dataSetReference: String, entryID: [UInt8]? = nil,
        configurationRevision: UInt32, memberCount: Int, members: [IncludedMember]
    ) {
        self.rptID = rptID
        self.options = options
        self.sequenceNumber = sequenceNumber
        self.timeOfEntry = timeOfEntry
        self.dataSetReference = dataSetReference
        self.entryID = entryID
        self.configurationRevision = configurationRevision
        self.memberCount = memberCount
        self.members = members
    }
}
