import IEC61850Model

/// The gateway's own health as IEC 61850 data, in a logical device of its own (`Diag`), so a SCADA sees
/// it without another protocol: LPHD1 (PhyNam, PhyHealth, Proxy) for the gateway, and one LCCH per field
/// connection (a Modbus device, the MQTT broker) with ChLiv (the channel answers) and the message
/// counters RxCnt and TxCnt. LLN0 has the data set `Health` (PhyHealth and every ChLiv) and the URCBs
/// `urcbHealth01`…`04` on it. ``DiagnosticsPublisher`` keeps the values current. A node of a redundant
/// pair also has LPHD1.RedAct (SPS, a vendor extension: true while the node is the active one), in the
/// data set, so the SCADA gets a report when the role changes.
public enum DiagnosticsDevice {
    /// The logical device's instance (its name is the IED name followed by it: `GATEWAYDiag`).
    public static let inst = "Diag"

    /// PhyHealth's values (the Health enumeration of IEC 61850-7-4).
    public enum Health: Int64, Sendable {
        case ok = 1
        case warning = 2
        case alarm = 3
    }

    /// The field connections of a configuration, one LCCH each, in order: the Modbus devices, then the
    /// broker; named as the operations side names sources (`modbus meter`, `mqtt broker.plant:1883`).
    public static func channels(of configuration: GatewayConfiguration) -> [String] {
        configuration.modbusDevices.map { "modbus \($0.name)" } + (configuration.mqtt.map { ["mqtt \($0.host):\($0.port)"] } ?? [])
    }

    /// The logical device for these channels.
    /// The data object that says whether a node of a redundant pair is the active one.
    public static let roleObject = "\(inst)/LPHD1.RedAct"

    /// The logical device for these channels (`redundant`: with LPHD1.RedAct).
    public static func spec(channels: [String], version: String, redundant: Bool = false) -> LogicalDeviceSpec {
        var members = [DataSetMember(ldInst: inst, lnClass: "LPHD", lnInst: "1", doName: "PhyHealth", daName: "stVal", fc: .st)]
        if redundant { members.append(DataSetMember(ldInst: inst, lnClass: "LPHD", lnInst: "1", doName: "RedAct", daName: "stVal", fc: .st)) }
        for index in channels.indices {
            members.append(DataSetMember(ldInst: inst, lnClass: "LCCH", lnInst: "\(index + 1)", doName: "ChLiv", daName: "stVal", fc: .st))
        }
        var lln0 = LogicalNodeSpec(
            lnClass: "LLN0",
            dataObjects: [
                CDC.ens("Mod"), CDC.ens("Beh"), CDC.ens("Health"),
                CDC.lpl("NamPlt", vendor: "iec61850-gateway", swRev: version, description: "the gateway's health and its field connections"),
            ])
        lln0.dataSets = [DataSetDefinition(name: "Health", members: members)]
        // dchg, qchg and GI; sequence number, time stamp, reason, data set and ConfRev in every report.
        lln0.reportControls = [
            ReportControlDefinition(
                name: "urcbHealth", dataSet: "Health", bufferTime: 100, indexed: true, maxInstances: 4, triggerOptions: 0b10_0110,
                optionalFields: 0b1_0001_1110)
        ]
        let lphd = LogicalNodeSpec(
            lnClass: "LPHD", inst: "1",
            dataObjects: [
                CDC.dpl("PhyNam", vendor: "iec61850-gateway", hwRev: version, model: "IEC 61850 gateway"),
                CDC.ens("PhyHealth", value: Health.ok.rawValue), CDC.sps("Proxy"),
            ] + (redundant ? [CDC.sps("RedAct")] : []))
        let channelNodes = channels.enumerated().map { index, channel in
            LogicalNodeSpec(
                lnClass: "LCCH", inst: "\(index + 1)",
                dataObjects: [
                    CDC.ens("Beh"), CDC.lpl("NamPlt", vendor: "iec61850-gateway", swRev: version, description: channel), CDC.sps("ChLiv"), CDC.ins("RxCnt"),
                    CDC.ins("TxCnt"),
                ])
        }
        return LogicalDeviceSpec(inst: inst, logicalNodes: [lln0, lphd] + channelNodes)
    }
}
