import IEC61850Model
import IEC61850Services
import MMSMapping

/// The PIXIT entries: the limits, timeouts and choices a client integrator must know, each the value
/// this server runs with (configured, or its built-in default).
enum PIXITSettings {
    static func settings(of backend: MMSServiceBackend, configuration c: IedServerConfiguration) -> [ConformanceStatement.Setting] {
        var rows: [ConformanceStatement.Setting] = []
        func add(_ section: String, _ name: String, _ value: String) { rows.append(ConformanceStatement.Setting(section: section, name: name, value: value)) }
        func seconds(_ duration: Duration) -> String {
            let (whole, atto) = duration.components
            return atto == 0 ? "\(whole) s" : "\(Double(whole) + Double(atto) / 1e18) s"
        }
        let model = backend.model
        let nodes = model.logicalDevices.flatMap(\.logicalNodes)

        add("Association", "Maximum associations", "\(c.maximumAssociations)")
        add("Association", "Maximum associations from one address", c.maximumAssociationsPerPeer.map(String.init) ?? "no limit of its own")
        add("Association", "Time from TCP accept to an association", seconds(c.associationTimeout))
        add("Association", "Authentication", ACSIServiceTable.authentication(c))
        add(
            "Association", "Failed passwords before a lock-out",
            "\(c.authenticationLockout.maximumFailures), locked \(seconds(c.authenticationLockout.lockout)) doubling to \(seconds(c.authenticationLockout.maximumLockout))"
        )
        add("Association", "Maximum MMS PDU size (negotiated down to the client's)", "\(c.maximumMMSPDUSize) octets; PDUs under 64 octets refused")
        add("Association", "Maximum outstanding requests (negotiated)", "\(c.maximumServicesOutstanding)")
        add("Association", "Maximum COTP TPDU size", "\(1 << Int(c.maximumTPDUSizeExponent)) octets")
        add("Association", "Data structure nesting level", "\(c.dataStructureNestingLevel)")
        add(
            "Association", "Listeners",
            [c.servesPlainMMS ? "MMS on TCP \(c.port)" : nil, c.tls.map { "MMS over TLS on TCP \($0.port)" }].compactMap { $0 }.joined(separator: ", "))
        add("Server", "Vendor, model, revision (Identify)", "\(c.identity.vendor), \(c.identity.model), \(c.identity.revision)")
        add("Server", "Event-loop threads", "\(c.eventLoopThreads)")
        add(
            "Server", "Model",
            "\(model.logicalDevices.count) logical devices, \(nodes.count) logical nodes, \(nodes.reduce(0) { $0 + $1.dataObjects.count }) data objects, \(model.slotTypes.count) basic attributes"
        )
        add("Data", "Functional constraints clients may write", c.writableFunctionalConstraints.map(\.rawValue).sorted().joined(separator: ", "))
        add("Data set", "Data sets from the SCL", "\(nodes.reduce(0) { $0 + $1.dataSets.count })")
        add("Data set", "Client data sets per logical device (persistent)", "\(c.dataSetLimits.perLogicalDevice)")
        add("Data set", "Client data sets per association", "\(c.dataSetLimits.perAssociation)")
        add("Data set", "Members of a client data set", "\(c.dataSetLimits.members)")
        let reports = nodes.flatMap(\.reportControls)
        add("Reporting", "Buffered report control blocks (instances)", "\(reports.filter(\.buffered).reduce(0) { $0 + $1.maxInstances })")
        add("Reporting", "Unbuffered report control blocks (instances)", "\(reports.filter { !$0.buffered }.reduce(0) { $0 + $1.maxInstances })")
        add("Reporting", "Entries buffered per BRCB", "\(c.reportBufferEntries); on overflow the oldest go and BufOvfl is set")
        add("Reporting", "Unread reports before a client is disconnected", "\(c.maximumQueuedReportBytes) octets")
        add("Reporting", "Shortest IntgPd", "\(c.controlBlockLimits.minimumIntegrityPeriod) ms")
        add("Reporting", "Longest ResvTms", "\(c.controlBlockLimits.maximumReservationTime) s")
        add("Reporting", "Segmentation", "yes: a report longer than the PDU is sent in parts (SubSeqNum, MoreSegmentsFollow)")
        add("Logging", "Logs", "\(nodes.reduce(0) { $0 + $1.logs.count }), written by \(nodes.reduce(0) { $0 + $1.logControls.count }) log control blocks")
        if let storage = c.logStorage {
            add("Logging", "Log storage", "\(type(of: storage)) (kept across restarts)")
        } else {
            add("Logging", "Log storage", "in memory, \(c.inMemoryLogEntries) entries per log (lost on restart)")
        }
        let control = backend.control
        var models: [ControlModel: Int] = [:]
        var timeouts: Set<UInt64> = []
        for object in control.objects {
            let model = control.model(of: object)
            models[model, default: 0] += 1
            if model == .sboWithNormalSecurity || model == .sboWithEnhancedSecurity { timeouts.insert(control.selectTimeout(of: object) / 1_000_000) }
        }
        add(
            "Control", "Control models in use",
            models.isEmpty
                ? "none" : models.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\(Self.name(of: $0.key)) (\($0.value))" }.joined(separator: ", "))
        add(
            "Control", "sboTimeout in use", timeouts.isEmpty ? "no select-before-operate objects" : timeouts.sorted().map { "\($0) ms" }.joined(separator: ", ")
        )
        add("Control", "Select timeout of an object without sboTimeout", "\(ControlService.defaultSelectTimeout) ms")
        add("Control", "Time an operate may take before it is answered (an object without operTimeout)", seconds(c.controlTimeout))
        add("Control", "Furthest operTm of a time-activated operate", seconds(c.maximumOperateDelay))
        add("Control", "Origin checked", "orCat and orIdent are recorded; a control from another client than the selecting one is refused")
        if let files = c.files {
            add("Files", "Folder", files.root ?? "none (only the server's own files)")
            add("Files", "Server's own files", (["SCL/\(model.name).cid"] + c.fileSources.keys.sorted().map { "\($0)/" }).joined(separator: ", "))
            add("Files", "FileDelete", files.allowsDelete ? "yes, with the configure right (the engineer role when roles are set)" : "no")
            add(
                "Files", "SetFile (ObtainFile)",
                files.allowsWrite
                    ? "yes, with the configure right (the engineer role when roles are set); at most \(files.maximumWriteSize) octets, never over an existing file; \(MMSServiceBackend.obtainFileStepTimeout.nanoseconds / 1_000_000_000) s for each answer of the client"
                    : "no")
            add("Files", "Open files per association, in all", "\(files.maximumOpenPerAssociation), \(files.maximumOpenTotal)")
            add("Files", "Longest file name", "256 octets; `..`, `.`, NUL and backslash refused")
        } else {
            add("Files", "File services", "off")
        }
        add("Time", "Time source", "the host's clock (UTC); TimeQuality: 10 bits of accuracy, clock-not-synchronized never set by the server")
        add(
            "Security", "TLS",
            c.tls.map { tls in
                "TLS 1.2 and 1.3 (IEC 62351-3) on TCP \(tls.port); client certificates \(tls.requireClientCertificate ? "required" : "optional"); \(tls.crlFiles.count) CRL file(s); \(tls.allowedCertificateFiles.isEmpty ? "any certificate the CAs issued" : "only the \(tls.allowedCertificateFiles.count) allowed certificate(s)")"
            } ?? "off")
        return rows
    }

    static func name(of model: ControlModel) -> String {
        switch model {
        case .statusOnly: "status-only"
        case .directWithNormalSecurity: "direct-with-normal-security"
        case .sboWithNormalSecurity: "sbo-with-normal-security"
        case .directWithEnhancedSecurity: "direct-with-enhanced-security"
        case .sboWithEnhancedSecurity: "sbo-with-enhanced-security"
        }
    }
}
