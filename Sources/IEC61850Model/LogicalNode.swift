/// A logical node instance (LN0 or LN) and the definitions it carries.
public struct LogicalNode: Sendable, Equatable {
    public var prefix: String
    public var lnClass: String
    public var inst: String
    /// The LNodeType id it was built from (empty when built in code).
    public var lnType: String
    public var dataObjects: [DataObject]
    public var dataSets: [DataSetDefinition]
    public var reportControls: [ReportControlDefinition]
    public var logControls: [LogControlDefinition]
    public var logs: [LogDefinition]
    public var settingControl: SettingControlDefinition?

    public init(
        prefix: String = "", lnClass: String, inst: String = "", lnType: String = "", dataObjects: [DataObject] = [],
        dataSets: [DataSetDefinition] = [], reportControls: [ReportControlDefinition] = [],
        logControls: [LogControlDefinition] = [], logs: [LogDefinition] = [], settingControl: SettingControlDefinition? = nil
    ) {
        self.prefix = prefix
        self.lnClass = lnClass
        self.inst = inst
        self.lnType = lnType
        self.dataObjects = dataObjects
        self.dataSets = dataSets
        self.reportControls = reportControls
        self.logControls = logControls
        self.logs = logs
        self.settingControl = settingControl
    }

    /// The LN name: prefix + class + instance (`LLN0`, `GGIO1`, `Q0XCBR1`).
    public var name: String { prefix + lnClass + inst }

    public func dataObject(named name: Substring) -> DataObject? {
        dataObjects.first { $0.name == name }
    }
}
