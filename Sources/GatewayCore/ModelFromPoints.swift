import IEC61850Model

/// The IED model a configuration describes when it names no SCL file: one logical device per LD of the
/// points' references, their logical nodes (with LLN0 and its Mod, Beh, Health, NamPlt), and one data
/// object per point, of the common data class the point names.
public enum ModelFromPoints {
    /// The classes a point may name, and what a controllable one is built with.
    static let classes = ["SPS", "DPS", "INS", "ENS", "MV", "CMV", "WYE", "ING", "ASG", "SPC", "DPC", "INC", "BSC", "APC"]

    public static func build(_ configuration: GatewayConfiguration) throws(ConfigurationErrors) -> IedModel {
        var errors: [ConfigurationError] = []
        // LD → LN name → (spec, data object names)
        var devices: [(inst: String, nodes: [(name: String, spec: LogicalNodeSpec)])] = []
        var seen: [String: Int] = [:]  // the line that defined each reference
        for point in configuration.points {
            func fail(_ message: String) {
                errors.append(ConfigurationError(file: point.location.file, line: point.location.line, subject: "point \(point.reference)", message))
            }
            guard let cdc = point.cdc else {
                fail("no SCL file is named, so the gateway builds the model: give the data object's class, e.g. cdc: MV")
                continue
            }
            guard classes.contains(cdc) else {
                fail("cdc \(cdc) is not one the gateway builds (\(classes.joined(separator: ", ")))")
                continue
            }
            let parts = point.reference.split(separator: "/", maxSplits: 1)
            let path = parts.count == 2 ? parts[1].split(separator: ".") : []
            guard path.count == 2, let node = Self.logicalNode(String(path[0])) else {
                fail("without an SCL file a reference is LD/LN.DO, with an LN name such as GGIO1 or Q0XCBR1")
                continue
            }
            if let earlier = seen[point.reference] {
                fail("\(point.reference) is already defined by the point at line \(earlier)")
                continue
            }
            seen[point.reference] = point.location.line
            let model = point.controlModel ?? (point.control != nil ? .directWithNormalSecurity : .statusOnly)
            let object = Self.dataObject(String(path[1]), cdc: cdc, model: model)
            let ld = String(parts[0])
            if devices.firstIndex(where: { $0.inst == ld }) == nil {
                devices.append(
                    (
                        ld,
                        [
                            (
                                "LLN0",
                                LogicalNodeSpec(
                                    lnClass: "LLN0",
                                    dataObjects: [CDC.ens("Mod"), CDC.ens("Beh"), CDC.ens("Health"), CDC.lpl("NamPlt", vendor: "iec61850-gateway")])
                            )
                        ]
                    ))
            }
            let d = devices.firstIndex { $0.inst == ld }!
            if let n = devices[d].nodes.firstIndex(where: { $0.name == node.name }) {
                devices[d].nodes[n].spec.dataObjects.append(object)
            } else {
                devices[d].nodes.append(
                    (node.name, LogicalNodeSpec(prefix: node.prefix, lnClass: node.lnClass, inst: node.inst, dataObjects: [CDC.ens("Beh"), object])))
            }
        }
        guard errors.isEmpty else { throw ConfigurationErrors(errors: errors) }
        var builder = IedModelBuilder(iedName: configuration.ied ?? "GATEWAY")
        for device in devices {
            builder.addLogicalDevice(LogicalDeviceSpec(inst: device.inst, logicalNodes: device.nodes.map(\.spec)))
        }
        return builder.build()
    }

    /// An LN name split into prefix, class (four capitals) and instance (the trailing digits).
    static func logicalNode(_ name: String) -> (name: String, prefix: String, lnClass: String, inst: String)? {
        if name == "LLN0" { return nil }
        let digits = name.reversed().prefix { $0.isNumber }
        let stem = name.dropLast(digits.count)
        guard stem.count >= 4 else { return nil }
        let lnClass = String(stem.suffix(4))
        guard lnClass.allSatisfy({ $0.isUppercase && $0.isLetter }) else { return nil }
        return (name, String(stem.dropLast(4)), lnClass, String(digits.reversed()))
    }

    static func dataObject(_ name: String, cdc: String, model: ControlModel) -> DataObjectSpec {
        switch cdc {
        case "SPS": CDC.sps(name)
        case "DPS": CDC.dps(name)
        case "INS": CDC.ins(name)
        case "ENS": CDC.ens(name)
        case "MV": CDC.mv(name)
        case "CMV": CDC.cmv(name)
        case "WYE": CDC.wye(name)
        case "ING": CDC.ing(name)
        case "ASG": CDC.asg(name)
        case "SPC": CDC.spc(name, ctlModel: model)
        case "DPC": CDC.dpc(name, ctlModel: model)
        case "INC": CDC.inc(name, ctlModel: model)
        case "BSC": CDC.bsc(name, ctlModel: model)
        default: CDC.apc(name, ctlModel: model)
        }
    }
}
