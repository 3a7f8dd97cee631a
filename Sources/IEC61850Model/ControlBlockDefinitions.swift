/// One member of a data set: a functionally constrained data object or attribute (FCD / FCDA).
public struct DataSetMember: Sendable, Hashable {
    public var ldInst: String
    public var prefix: String
    public var lnClass: String
    public var lnInst: String
    /// `Pos` or `PhV.phsA` (SDOs joined by dots).
    public var doName: String
    /// Empty for an FCD; `stVal`, `cVal.mag.f` for an FCDA.
    public var daName: String
    public var fc: FunctionalConstraint

    public init(ldInst: String, prefix: String = "", lnClass: String, lnInst: String = "", doName: String, daName: String = "", fc: FunctionalConstraint) {
        self.ldInst = ldInst
        self.prefix = prefix
        self.lnClass = lnClass
        self.lnInst = lnInst
        self.doName = doName
        self.daName = daName
        self.fc = fc
    }

    public var lnName: String { prefix + lnClass + lnInst }
}

/// A data set (SCL `DataSet`).
public struct DataSetDefinition: Sendable, Hashable {
    public var name: String
    public var members: [DataSetMember]
    public init(name: String, members: [DataSetMember]) {
        self.name = name
        self.members = members
    }
}

/// A report control block (SCL `ReportControl`).
public struct ReportControlDefinition: Sendable, Hashable {
    public var name: String
    public var rptID: String
    public var dataSet: String
    public var confRev: UInt32
    public var buffered: Bool
    public var bufferTime: UInt32
    public var integrityPeriod: UInt32
    public var indexed: Bool
    public var maxInstances: Int
    /// TrgOps bits as in the MMS bit string: bit 1 dchg, 2 qchg, 3 dupd, 4 period, 5 gi (bit n = `1 << n`).
    public var triggerOptions: UInt32
    /// OptFlds bits: 1 seqNum, 2 timeStamp, 3 reasonCode, 4 dataSet, 5 dataRef, 6 bufOvfl, 7 entryID, 8 confRev.
    public var optionalFields: UInt32

    public init(
        name: String, rptID: String = "", dataSet: String = "", confRev: UInt32 = 1, buffered: Bool = false, bufferTime: UInt32 = 0,
        integrityPeriod: UInt32 = 0, indexed: Bool = true, maxInstances: Int = 1, triggerOptions: UInt32 = 0, optionalFields: UInt32 = 0
    ) {
        self.name = name
        self.rptID = rptID
        self.dataSet = dataSet
        self.confRev = confRev
        self.buffered = buffered
        self.bufferTime = bufferTime
        self.integrityPeriod = integrityPeriod
        self.indexed = indexed
        self.maxInstances = maxInstances
        self.triggerOptions = triggerOptions
        self.optionalFields = optionalFields
    }
}

/// A log control block (SCL `LogControl`).
public struct LogControlDefinition: Sendable, Hashable {
    public var name: String
    public var dataSet: String
    public var logName: String
    public var logEnabled: Bool
    public var integrityPeriod: UInt32
    public var reasonCode: Bool
    public var triggerOptions: UInt32

    public init(
        name: String, dataSet: String, logName: String, logEnabled: Bool = true, integrityPeriod: UInt32 = 0, reasonCode: Bool = true,
        triggerOptions: UInt32 = 0
    ) {
        self.name = name
        self.dataSet = dataSet
        self.logName = logName
        self.logEnabled = logEnabled
        self.integrityPeriod = integrityPeriod
        self.reasonCode = reasonCode
        self.triggerOptions = triggerOptions
    }
}

/// A log (SCL `Log`), exposed as an MMS journal.
public struct LogDefinition: Sendable, Hashable {
    public var name: String
    public init(name: String) { self.name = name }
}

/// A setting group control block (SCL `SettingControl`).
public struct SettingControlDefinition: Sendable, Hashable {
    public var numberOfSettingGroups: Int
    public var activeSettingGroup: Int
    public init(numberOfSettingGroups: Int, activeSettingGroup: Int = 1) {
        self.numberOfSettingGroups = numberOfSettingGroups
        self.activeSettingGroup = activeSettingGroup
    }
}
