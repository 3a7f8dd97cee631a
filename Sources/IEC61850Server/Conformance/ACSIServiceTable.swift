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
        let substitutable =
            configuration.writableFunctionalConstraints.contains(.sv)
            && nodes.contains { $0.dataObjects.contains { object in object.child(named: "subEna") != nil } }
        // operTm is in Oper only of objects made for time-activated operation.
        let timeActivated = control.objects.contains { backend.model.handle(for: "\($0.reference).Oper.operTm") != nil }
        let writable = configuration.writableFunctionalConstraints.map(\.rawValue).sorted().joined(separator: ", ")
        let report = "InformationReport"

        var rows: [ConformanceStatement.Service] = []
        func add(_ group: String, _ id: String, _ name: String, _ server: String, _ supported: Bool, _ note: String) {
            rows.append(ConformanceStatement.Service(group: group, id: id, name: name, server: server, supported: supported, note: note))
        }
        let anyDataSets = nodes.contains { !$0.dataSets.isEmpty } || mms(ServicesSupported.defineNamedVariableList)
        let files = mms(ServicesSupported.fileOpen, ServicesSupported.fileRead)
        // ACSI basic conformance (the UCA template's B rows).
        let basic = "Basic conformance"
        add(basic, "B11", "Server side (of two-party application association)", "", true, "MMS server")
        add(basic, "B12", "Client side (of two-party application association)", "", false, "not a client: the gateway's field side is Modbus and MQTT")
        add(
            basic, "B21", "SCSM: IEC 61850-8-1 used", "", true,
            "MMS over TCP port \(configuration.port)\(configuration.tls.map { ", and over TLS on \($0.port)" } ?? "")")
        add(basic, "B22", "SCSM: IEC 61850-9-1 used", "", false, "")
        add(basic, "B23", "SCSM: IEC 61850-9-2 used", "", false, "")
        add(basic, "B24", "SCSM: other", "", false, "")
        add(basic, "B31", "GSE: publisher side", "", false, "no layer-2 publishing")
        add(basic, "B32", "GSE: subscriber side", "", false, "")
        add(basic, "B41", "SVC: publisher side", "", false, "")
        add(basic, "B42", "SVC: subscriber side", "", false, "")
        // ACSI models (M rows).
        let model = "Models"
        add(model, "M1", "Logical device", "", true, "\(backend.model.logicalDevices.count) in the model")
        add(model, "M2", "Logical node", "", true, "\(nodes.count) in the model")
        add(model, "M3", "Data", "", true, "")
        add(model, "M4", "Data set", "", anyDataSets, "from the SCL and created by clients")
        add(model, "M5", "Substitution", "", substitutable, "data objects with subEna")
        add(model, "M6", "Setting group control", "", false, "not implemented")
        add(
            model, "M7", "Buffered report control", "", buffered,
            "sequence number, report time stamp, reason for inclusion, data set name, data reference, buffer overflow, entryID, BufTm, IntgPd, GI, conf revision"
        )
        add(
            model, "M8", "Unbuffered report control", "", unbuffered,
            "sequence number, report time stamp, reason for inclusion, data set name, data reference, BufTm, IntgPd, GI, conf revision")
        add(model, "M9", "Log control", "", logControls, "data change, quality change, integrity (IntgPd)")
        add(model, "M10", "Log", "", logs, "")
        add(model, "M11", "Control", "", operates, "")
        add(model, "M12", "GOOSE", "", false, "")
        add(model, "M13", "GSSE", "", false, "")
        add(model, "M14", "Multicast SVC", "", false, "")
        add(model, "M15", "Unicast SVC", "", false, "")
        add(model, "M16", "Time", "", true, "the host's clock (UTC); keep it synchronised with NTP or PTP")
        add(model, "M17", "File transfer", "", files, "")
        // ACSI services (S rows; server M/O of IEC 61850-7-2 where it is unconditional).
        add("Server", "S1", "GetServerDirectory (LOGICAL-DEVICE)", "M", mms(ServicesSupported.getNameList), "GetNameList, domains")
        add("Application association", "S2", "Associate", "M", true, "ACSE A-ASSOCIATE with MMS Initiate; \(Self.authentication(configuration))")
        add("Application association", "S3", "Abort", "M", true, "ACSE A-ABORT")
        add("Application association", "S4", "Release", "M", mms(ServicesSupported.conclude), "MMS Conclude, then ACSE release")
        add("Logical device", "S5", "GetLogicalDeviceDirectory", "M", mms(ServicesSupported.getNameList), "GetNameList, named variables of a domain")
        add("Logical node", "S6", "GetLogicalNodeDirectory", "M", mms(ServicesSupported.getNameList), "GetNameList (data sets, logs and control blocks too)")
        add("Logical node", "S7", "GetAllDataValues", "M", mms(ServicesSupported.read), "Read of the LN, FC by FC")
        add("Data", "S8", "GetDataValues", "M", mms(ServicesSupported.read), "Read")
        add("Data", "S9", "SetDataValues", "O", mms(ServicesSupported.write), "Write; FCs \(writable), and control blocks' attributes")
        add("Data", "S10", "GetDataDirectory", "M", mms(ServicesSupported.getVariableAccessAttributes), "GetVariableAccessAttributes")
        add("Data", "S11", "GetDataDefinition", "M", mms(ServicesSupported.getVariableAccessAttributes), "GetVariableAccessAttributes")
        add("Data set", "S12", "GetDataSetValues", "M", mms(ServicesSupported.read), "Read of a named variable list")
        add("Data set", "S13", "SetDataSetValues", "O", false, "not served: a Write of a named variable list is refused")
        add(
            "Data set", "S14", "CreateDataSet", "O", mms(ServicesSupported.defineNamedVariableList),
            "DefineNamedVariableList, persistent and association-specific")
        add("Data set", "S15", "DeleteDataSet", "O", mms(ServicesSupported.deleteNamedVariableList), "DeleteNamedVariableList, of client-created sets")
        add("Data set", "S16", "GetDataSetDirectory", "O", mms(ServicesSupported.getNamedVariableListAttributes), "GetNamedVariableListAttributes")
        add("Substitution", "S17", "Substitution (subEna, subVal, subQ, subID)", "M", substitutable && mms(ServicesSupported.write), "Write of FC SV")
        for (number, name) in ["SelectActiveSG", "SelectEditSG", "SetEditSGValue", "ConfirmEditSGValues", "GetEditSGValue", "GetSGCBValues"].enumerated() {
            add("Setting group control", "S\(18 + number)", name, "O", false, "not served: setting groups are not implemented")
        }
        let triggers = "data change, quality change, data update, integrity, GI"
        add("Reporting", "S24", "Report (buffered)", "", buffered && mms(ServicesSupported.informationReport), "\(report), segmented when long; \(triggers)")
        add("Reporting", "S25", "GetBRCBValues", "", buffered && mms(ServicesSupported.read), "Read")
        add("Reporting", "S26", "SetBRCBValues", "", buffered && mms(ServicesSupported.write), "Write")
        add(
            "Reporting", "S27", "Report (unbuffered)", "", unbuffered && mms(ServicesSupported.informationReport), "\(report), segmented when long; \(triggers)"
        )
        add("Reporting", "S28", "GetURCBValues", "", unbuffered && mms(ServicesSupported.read), "Read")
        add("Reporting", "S29", "SetURCBValues", "", unbuffered && mms(ServicesSupported.write), "Write")
        add("Logging", "S30", "GetLCBValues", "", logControls && mms(ServicesSupported.read), "Read")
        add("Logging", "S31", "SetLCBValues", "", logControls && mms(ServicesSupported.write), "Write")
        add("Logging", "S32", "QueryLogByTime", "", logs && mms(ServicesSupported.readJournal), "ReadJournal (time range)")
        add("Logging", "S33", "QueryLogAfter", "", logs && mms(ServicesSupported.readJournal), "ReadJournal (entry to start after)")
        add("Logging", "S34", "GetLogStatusValues", "", logControls && mms(ServicesSupported.read), "Read of the LCB's OldEntr, NewEntr, OldEntrTm, NewEntrTm")
        for name in ["GOOSE publishing", "GOOSE subscribing", "Sampled values"] {
            add("GSE and SV", "", name, "", false, "not served: no layer-2 publishing")
        }
        add("Control", "", "Select", "", selects && mms(ServicesSupported.read), "Read of SBO (sbo-with-normal-security objects)")
        add("Control", "", "SelectWithValue", "", selectsWithValue && mms(ServicesSupported.write), "Write of SBOw (sbo-with-enhanced-security objects)")
        add("Control", "", "Cancel", "", (selects || selectsWithValue || enhanced) && mms(ServicesSupported.write), "Write of Cancel")
        add("Control", "", "Operate", "", operates && mms(ServicesSupported.write), "Write of Oper; LastApplError on refusal")
        add("Control", "", "CommandTermination", "", enhanced && mms(ServicesSupported.informationReport), "\(report) of Oper (enhanced security)")
        add("Control", "", "TimeActivatedOperate", "", timeActivated && mms(ServicesSupported.write), "Oper with operTm in the future")
        add("File transfer", "", "GetFile", "", files && mms(ServicesSupported.fileClose), "FileOpen, FileRead, FileClose")
        add("File transfer", "", "SetFile", "", mms(ServicesSupported.obtainFile), "ObtainFile: the server fetches the file (the configure right)")
        add("File transfer", "", "DeleteFile", "", mms(ServicesSupported.fileDelete), "FileDelete (the configure right)")
        add("File transfer", "", "GetFileAttributeValues", "", mms(ServicesSupported.fileDirectory), "FileDirectory")
        add("File transfer", "", "GetServerDirectory (FILE)", "", mms(ServicesSupported.fileDirectory), "FileDirectory")
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
