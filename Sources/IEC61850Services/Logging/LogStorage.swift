import IEC61850Model

/// One entry of an IEC 61850 log: what a log control block recorded at one instant.
public struct LogEntry: Sendable, Equatable {
    /// One data set member's value in the entry, in model terms.
    public struct Value: Sendable, Equatable {
        /// The member as an IEC 61850 reference with its functional constraint, the logical device by its
        /// full name: `DEMOGenericIO/GGIO1.Ind1.stVal[ST]`, `DEMOGenericIO/GGIO1.AnIn1[MX]`.
        public var reference: String
        /// The values of the member's basic attributes, in model order (one for a basic attribute).
        public var values: [DataValue]
        /// Reason for inclusion bits (data change, quality change, data update, integrity, GI, application).
        public var reasonCode: UInt8

        public init(reference: String, values: [DataValue], reasonCode: UInt8) {
            self.reference = reference
            self.values = values
            self.reasonCode = reasonCode
        }
    }

    /// Increasing within a log; sent as the 8-octet EntryID.
    public var entryID: UInt64
    public var time: Timestamp
    public var values: [Value]

    public init(entryID: UInt64, time: Timestamp, values: [Value]) {
        self.entryID = entryID
        self.time = time
        self.values = values
    }
}

/// Which entries of a log a query wants, as ReadJournal asks: a time range, or the entries after a
/// known one.
public struct LogQuery: Sendable, Equatable {
    public var from: Timestamp?
    public var to: Timestamp?
    /// Only entries after this one (QueryLogAfter).
    public var afterEntry: UInt64?

    public init(from: Timestamp? = nil, to: Timestamp? = nil, afterEntry: UInt64? = nil) {
        self.from = from
        self.to = to
        self.afterEntry = afterEntry
    }
}

/// The oldest and newest entries a log holds (a log control block's OldEntr/OldEntrTm and
/// NewEntr/NewEntrTm).
public struct LogBounds: Sendable, Equatable {
    public var oldest: UInt64
    public var oldestTime: Timestamp
    public var newest: UInt64
    public var newestTime: Timestamp

    public init(oldest: UInt64, oldestTime: Timestamp, newest: UInt64, newestTime: Timestamp) {
        self.oldest = oldest
        self.oldestTime = oldestTime
        self.newest = newest
        self.newestTime = newestTime
    }
}

/// Where IEC 61850 logs are kept, as libIEC61850's LogStorage: the server appends entries as log
/// control blocks record them and reads them back for ReadJournal.
///
/// `append` is called with the server's value lock held and must not block: implementations queue the
/// entry and write it on a thread of their own. Reads may block; the server calls them off its event
/// loops.
public protocol LogStorage: Sendable {
    /// Queues an entry for `log` (an item name such as `LLN0$EventLog` in an LD's domain, qualified by the
    /// caller) and returns its entry identifier.
    func append(log: String, time: Timestamp, values: [LogEntry.Value]) -> UInt64
    /// Entries of `log` matching `query`, oldest first, at most `limit`; queued entries are included.
    func entries(log: String, matching query: LogQuery, limit: Int) throws -> [LogEntry]
    /// The entries `log` holds now, or nil when it is empty.
    func bounds(log: String) -> LogBounds?
}

/// A log value as storages kept it before log values were model values (schema 3 of the SQLite storage):
/// the member's MMS name and its MMS Data. Only the server's MMS mapping can read it.
public struct LegacyLogValue: Sendable, Equatable {
    /// `DEMOGenericIO/GGIO1$ST$Ind1$stVal`.
    public var mmsReference: String
    /// The value as MMS Data (BER).
    public var mmsData: [UInt8]
    public var reasonCode: UInt8

    public init(mmsReference: String, mmsData: [UInt8], reasonCode: UInt8) {
        self.mmsReference = mmsReference
        self.mmsData = mmsData
        self.reasonCode = reasonCode
    }
}

/// A log storage that may hold entries written in the older form (``LegacyLogValue``). The server
/// converts them with its MMS mapping when it starts, before it answers ReadJournal.
public protocol LegacyLogConversion: LogStorage {
    /// Whether entries wait to be converted.
    var hasLegacyEntries: Bool { get }
    /// Rewrites every entry still in the older form, each value through `convert` (nil: the value cannot
    /// be read, and is left out of its entry); returns the number of entries rewritten.
    func convertLegacyEntries(_ convert: (LegacyLogValue) -> LogEntry.Value?) throws -> Int
}
