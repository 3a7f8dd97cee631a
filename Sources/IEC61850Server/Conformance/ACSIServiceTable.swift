import IEC61850Model
import IEC61850Services
import MMS
import MMSMapping

/// The PICS rows: each ACSI service of IEC 61850-7-2 with the MMS services (IEC 61850-8-1) it is
/// mapped to and what of the model it needs. A service is supported when the server offers every MMS
/// service it needs in its initiate response (what its request dispatch answers) and the model has
/// what it acts on.
enum ACSIServiceTable {
    static func services(of backend: MMSServiceBackend, configuration: IedServerConfiguration) -> [ConformanceStatement.Service] {
        let offered = backend.offeredServices
        func mms(_ services: Int...) -> Bool { services.allSatisfy(offered.contains) }
        let nodes = backend.model.logicalDevices.flatMap(\.logicalNodes)
        let reports = nodes.flatMap(\.reportControls)
        let buffered = reports.contains(where: \.buffered)
        let unbuffered = reports.contains { !$0.buffered }
        let logControls = !nodes.flatMap(\.logControls).isEmpty
        let logs = !nodes.flatMap(\.logs).isEmpty
        let control = backend.control
        let models = Set(control.objects.map { control.model(of: $0) })
        let selects = models.contains(.sboWithNormalSecurity)
        let selectsWithValue = models.contains(.sboWithEnhancedSecurity)
        let enhanced = models.contains(.directWithEnhancedSecurity) || models.contains(.sboWithEnhancedSecurity)
        let operates = !models.subtracting([.statusOnly]).isEmpty
        let substitutable = nodes.contains { $0.dataObjects.contains { object in object.child(named: "subEna") != nil } }
        let writable = configuration.writableFunctionalConstraints.map(\.rawValue).sorted().joined(separator: ", ")
        let report = "InformationReport"

        var rows: [ConformanceStatement.Service] = []
        func add(_ group: String, _ name: String, _ supported: Bool, _ note: String) {
            rows.append(ConformanceStatement.Service(group: group, name: name, supported: supported, note: note))
        }
        add("Association", "Associate", true, "ACSE A-ASSOCIATE with MMS Initiate; \(Self.authentication(configuration))")
        add("Association", "Abort", true, "ACSE A-ABORT")
        add("Association", "Release", mms(ServicesSupported.conclude), "MMS Conclude, then ACSE release")
        add("Server", "GetServerDirectory (LOGICAL-DEVICE)", mms(ServicesSupported.getNameList), "GetNameList, domains")
        add("Server", "GetServerDirectory (FILE)", mms(ServicesSupported.fileDirectory), "FileDirectory")
        add("Logical device", "GetLogicalDeviceDirectory", mms(ServicesSupported.getNameList), "GetNameList, named variables of a domain")
        add("Logical node", "GetLogicalNodeDirectory", mms(ServicesSupported.getNameList), "GetNameList (data sets, logs and control blocks too)")
        add("Logical node", "GetAllDataValues", mms(ServicesSupported.read), "Read of the LN, FC by FC")
        add("Data", "GetDataValues", mms(ServicesSupported.read), "Read")
        add("Data", "SetDataValues", mms(ServicesSupported.write), "Write; FCs \(writable), and control blocks' attributes")
        add("Data", "GetDataDirectory", mms(ServicesSupported.getVariableAccessAttributes), "GetVariableAccessAttributes")
        add("Data", "GetDataDefinition", mms(ServicesSupported.getVariableAccessAttributes), "GetVariableAccessAttributes")
        add("Data set", "GetDataSetValues", mms(ServicesSupported.read), "Read of a named variable list")
        add("Data set", "SetDataSetValues", false, "not served: a Write of a named variable list is refused")
        add("Data set", "CreateDataSet", mms(ServicesSupported.defineNamedVariableList), "DefineNamedVariableList, persistent and association-specific")
        add("Data set", "DeleteDataSet", mms(ServicesSupported.deleteNamedVariableList), "DeleteNamedVariableList, of client-created sets")
        add("Data set", "GetDataSetDirectory", mms(ServicesSupported.getNamedVariableListAttributes), "GetNamedVariableListAttributes")
        add("Substitution", "Substitution (subEna, subVal, subQ, subID)", substitutable && mms(ServicesSupported.write), "Write of FC SV")
        for name in ["SelectActiveSG", "SelectEditSG", "SetEditSGValue", "ConfirmEditSGValues", "GetEditSGValue", "GetSGCBValues"] {
            add("Setting group control", name, false, "not served: setting groups are not implemented")
        }
        add("Reporting", "Buffered report control block", buffered && mms(ServicesSupported.informationReport), "BRCBs of the model")
        add("Reporting", "Report (buffered)", buffered && mms(ServicesSupported.informationReport), "\(report), segmented when long")
        add("Reporting", "GetBRCBValues", buffered && mms(ServicesSupported.read), "Read")
        add("Reporting", "SetBRCBValues", buffered && mms(ServicesSupported.write), "Write")
        add("Reporting", "Unbuffered report control block", unbuffered && mms(ServicesSupported.informationReport), "URCBs of the model")
        add("Reporting", "Report (unbuffered)", unbuffered && mms(ServicesSupported.informationReport), "\(report), segmented when long")
        add("Reporting", "GetURCBValues", unbuffered && mms(ServicesSupported.read), "Read")
        add("Reporting", "SetURCBValues", unbuffered && mms(ServicesSupported.write), "Write")
        add("Logging", "Log control block", logControls, "LCBs of the model")
        add("Logging", "GetLCBValues", logControls && mms(ServicesSupported.read), "Read")
        add("Logging", "SetLCBValues", logControls && mms(ServicesSupported.write), "Write")
        add("Logging", "QueryLogByTime", logs && mms(ServicesSupported.readJournal), "ReadJournal (time range)")
        add("Logging", "QueryLogAfter", logs && mms(ServicesSupported.readJournal), "ReadJournal (entry to start after)")
        add("Logging", "GetLogStatusValues", logControls && mms(ServicesSupported.read), "Read of the LCB's OldEntr, NewEntr, OldEntrTm, NewEntrTm")
        for name in ["GOOSE publishing", "GOOSE subscribing", "Sampled values"] {
            add("GSE and SV", name, false, "not served: no layer-2 publishing")
        }
        add("Control", "Select", selects && mms(ServicesSupported.read), "Read of SBO (sbo-with-normal-security objects)")
        add("Control", "SelectWithValue", selectsWithValue && mms(ServicesSupported.write), "Write of SBOw (sbo-with-enhanced-security objects)")
        add("Control", "Cancel", (selects || selectsWithValue || enhanced) && mms(ServicesSupported.write), "Write of Cancel")
        add("Control", "Operate", operates && mms(ServicesSupported.write), "Write of Oper; LastApplError on refusal")
        add("Control", "CommandTermination", enhanced && mms(ServicesSupported.informationReport), "\(report) of Oper (enhanced security)")
        add("Control", "TimeActivatedOperate", operates && mms(ServicesSupported.write), "Oper with operTm in the future")
        add("Time", "Time synchronization", false, "the host's clock: run NTP or PTP on the host")
        add(
            "File transfer", "GetFile", mms(ServicesSupported.fileOpen, ServicesSupported.fileRead, ServicesSupported.fileClose),
            "FileOpen, FileRead, FileClose")
        add("File transfer", "SetFile", mms(ServicesSupported.obtainFile), "ObtainFile: the server fetches the file (engineer role)")
        add("File transfer", "DeleteFile", mms(ServicesSupported.fileDelete), "FileDelete (engineer role)")
        add("File transfer", "GetFileAttributeValues", mms(ServicesSupported.fileDirectory), "FileDirectory")
        return rows
    }

    static func authentication(_ configuration: IedServerConfiguration) -> String {
        var ways: [String] = []
        switch configuration.authenticator {
        case .none: ways.append("no authentication")
        case .password: ways.append("ACSE password (IEC 62351-4 mechanism 2.2.3.1)")
        case .roles: ways.append("roles (viewer, operator, engineer) by password, certificate or network")
        case .custom, .decide: ways.append("an application-defined authenticator")
        }
        if configuration.tls != nil { ways.append("TLS (IEC 62351-3) with client certificates") }
        return ways.joined(separator: "; ")
    }
}
