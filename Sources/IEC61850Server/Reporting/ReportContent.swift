import IEC61850Model

/// Trigger conditions and reasons for inclusion, as the TrgOps and ReasonCode bit strings number them
/// (bit n is `1 << n`; PROTOCOL.md §5.2).
struct ReportTrigger: OptionSet, Sendable, Hashable {
    let rawValue: UInt32
    static let dataChange = ReportTrigger(rawValue: 1 << 1)
    static let qualityChange = ReportTrigger(rawValue: 1 << 2)
    static let dataUpdate = ReportTrigger(rawValue: 1 << 3)
    static let integrity = ReportTrigger(rawValue: 1 << 4)
    static let generalInterrogation = ReportTrigger(rawValue: 1 << 5)
    /// Every bit a TrgOps value may carry.
    static let all: ReportTrigger = [.dataChange, .qualityChange, .dataUpdate, .integrity, .generalInterrogation]
}

/// The OptFlds bits (bit n is `1 << n`; PROTOCOL.md §5.2).
struct ReportOptions: OptionSet, Sendable, Hashable {
    let rawValue: UInt32
    static let sequenceNumber = ReportOptions(rawValue: 1 << 1)
    static let reportTimeStamp = ReportOptions(rawValue: 1 << 2)
    static let reasonCode = ReportOptions(rawValue: 1 << 3)
    static let dataSetName = ReportOptions(rawValue: 1 << 4)
    static let dataReference = ReportOptions(rawValue: 1 << 5)
    static let bufferOverflow = ReportOptions(rawValue: 1 << 6)
    static let entryID = ReportOptions(rawValue: 1 << 7)
    static let configurationRevision = ReportOptions(rawValue: 1 << 8)
    static let segmentation = ReportOptions(rawValue: 1 << 9)
    /// Every bit an OptFlds value may carry.
    static let all = ReportOptions(rawValue: 0x3FE)
}

/// A point in time as the control blocks see it: a monotonic clock for timers, UTC for time stamps.
struct ReportTime: Sendable, Equatable {
    var monotonicNanoseconds: UInt64
    var utcMilliseconds: UInt64

    func adding(milliseconds: UInt32) -> UInt64 {
        monotonicNanoseconds &+ UInt64(milliseconds) * 1_000_000
    }
}

/// One data set member in a report: which, why, and its values (the member's basic attributes in order).
struct IncludedMember: Sendable, Equatable {
    var member: Int
    var reason: ReportTrigger
    var values: [DataValue]
}

/// A report made by a control block, in model terms; the MMS side encodes it (PROTOCOL.md §5.3).
struct ReportContent: Sendable, Equatable {
    var rptID: String
    /// OptFlds as configured; the encoder drops what does not apply (entry fields of a URCB).
    var options: ReportOptions
    var sequenceNumber: UInt32 = 0
    /// UTC milliseconds of the first event in the report.
    var timeOfEntry: UInt64
    var dataSetReference: String
    var bufferOverflow = false
    var entryID: [UInt8]? = nil
    var configurationRevision: UInt32
    var memberCount: Int
    /// In data set order.
    var members: [IncludedMember]
}
