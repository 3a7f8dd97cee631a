/// The control model of a controllable data object (`ctlModel`).
public enum ControlModel: Int64, Sendable, CaseIterable {
    case statusOnly = 0
    case directWithNormalSecurity = 1
    case sboWithNormalSecurity = 2
    case directWithEnhancedSecurity = 3
    case sboWithEnhancedSecurity = 4
}

/// Helpers that build common data classes (IEC 61850-7-3) with their usual attributes.
///
/// Each returns a ``DataObjectSpec``; add more attributes with ``DataObjectSpec/with(_:)``.
public enum CDC {
    static let dchg: TriggerOptions = [.dataChange]
    static let qchg: TriggerOptions = [.qualityChange]

    static func status(_ type: BasicType, value: DataValue? = nil) -> [DataObjectSpec.Child] {
        [
            .attribute(.basic("stVal", type, fc: .st, triggers: dchg, value: value)),
            .attribute(.basic("q", .quality, fc: .st, triggers: qchg)),
            .attribute(.basic("t", .timestamp, fc: .st)),
        ]
    }

    /// The substitution attributes (FC SV): subEna, the substitute `name` of `substitute`'s shape, subQ, subID.
    static func substitution(_ substitute: DataAttributeSpec) -> [DataObjectSpec.Child] {
        [
            .attribute(.basic("subEna", .boolean, fc: .sv)),
            .attribute(substitute),
            .attribute(.basic("subQ", .quality, fc: .sv)),
            .attribute(.basic("subID", .visibleString(maxLength: 64), fc: .sv)),
        ]
    }

    /// The substitution attributes of a status of basic type `type` (subVal).
    static func substitution(_ type: BasicType) -> [DataObjectSpec.Child] { substitution(.basic("subVal", type, fc: .sv)) }

    /// AnalogueValue with the float member `f`.
    public static func analogueValue(_ name: String, fc: FunctionalConstraint, triggers: TriggerOptions = [], value: Float? = nil) -> DataAttributeSpec {
        .constructed(name, fc: fc, triggers: triggers, [.basic("f", .float32, fc: fc, value: value.map(DataValue.float32))])
    }

    /// Single point status.
    public static func sps(_ name: String, value: Bool = false) -> DataObjectSpec {
        DataObjectSpec(name: name, cdc: "SPS", children: status(.boolean, value: .boolean(value)) + substitution(.boolean))
    }

    /// Double point status.
    public static func dps(_ name: String) -> DataObjectSpec {
        DataObjectSpec(name: name, cdc: "DPS", children: status(.dbpos) + substitution(.dbpos))
    }

    /// Integer status.
    public static func ins(_ name: String, value: Int32 = 0) -> DataObjectSpec {
        DataObjectSpec(name: name, cdc: "INS", children: status(.int32, value: .integer(Int64(value))) + substitution(.int32))
    }

    /// Enumerated status (`Mod`, `Beh`, `Health`).
    public static func ens(_ name: String, value: Int64 = 1) -> DataObjectSpec {
        DataObjectSpec(name: name, cdc: "ENS", children: status(.enumerated(nil), value: .integer(value)))
    }

    /// Measured value.
    public static func mv(_ name: String, value: Float? = nil) -> DataObjectSpec {
        DataObjectSpec(
            name: name, cdc: "MV",
            children: [
                .attribute(analogueValue("mag", fc: .mx, triggers: dchg, value: value)),
                .attribute(.basic("q", .quality, fc: .mx, triggers: qchg)),
                .attribute(.basic("t", .timestamp, fc: .mx)),
                .attribute(.basic("db", .int32u, fc: .cf)),
            ] + substitution(analogueValue("subMag", fc: .sv)))
    }

    /// Complex measured value (magnitude and angle).
    public static func cmv(_ name: String) -> DataObjectSpec {
        DataObjectSpec(
            name: name, cdc: "CMV",
            children: [
                .attribute(.constructed("cVal", fc: .mx, triggers: dchg, [analogueValue("mag", fc: .mx), analogueValue("ang", fc: .mx)])),
                .attribute(.basic("q", .quality, fc: .mx, triggers: qchg)),
                .attribute(.basic("t", .timestamp, fc: .mx)),
            ] + substitution(.constructed("subCVal", fc: .sv, [analogueValue("mag", fc: .sv), analogueValue("ang", fc: .sv)])))
    }

    /// Phase-to-ground measured values of a three-phase system.
    public static func wye(_ name: String) -> DataObjectSpec {
        DataObjectSpec(name: name, cdc: "WYE", children: ["phsA", "phsB", "phsC", "neut"].map { .object(cmv($0)) })
    }

    /// Integer status setting.
    public static func ing(_ name: String, value: Int32 = 0) -> DataObjectSpec {
        DataObjectSpec(name: name, cdc: "ING", children: [.attribute(.basic("setVal", .int32, fc: .sp, triggers: dchg, value: .integer(Int64(value))))])
    }

    /// Analogue setting.
    public static func asg(_ name: String, value: Float = 0) -> DataObjectSpec {
        DataObjectSpec(name: name, cdc: "ASG", children: [.attribute(analogueValue("setMag", fc: .sp, triggers: dchg, value: value))])
    }

    /// Logical node name plate.
    public static func lpl(_ name: String, vendor: String = "", swRev: String = "", description: String = "", configRev: String = "") -> DataObjectSpec {
        DataObjectSpec(
            name: name, cdc: "LPL",
            children: [
                .attribute(.basic("vendor", .visibleString(maxLength: 255), fc: .dc, value: .string(vendor))),
                .attribute(.basic("swRev", .visibleString(maxLength: 255), fc: .dc, value: .string(swRev))),
                .attribute(.basic("d", .visibleString(maxLength: 255), fc: .dc, value: .string(description))),
                .attribute(.basic("configRev", .visibleString(maxLength: 255), fc: .dc, value: .string(configRev))),
            ])
    }

    /// Device name plate.
    public static func dpl(_ name: String, vendor: String = "", hwRev: String = "", serialNumber: String = "", model: String = "") -> DataObjectSpec {
        DataObjectSpec(
            name: name, cdc: "DPL",
            children: [
                .attribute(.basic("vendor", .visibleString(maxLength: 255), fc: .dc, value: .string(vendor))),
                .attribute(.basic("hwRev", .visibleString(maxLength: 255), fc: .dc, value: .string(hwRev))),
                .attribute(.basic("serNum", .visibleString(maxLength: 255), fc: .dc, value: .string(serialNumber))),
                .attribute(.basic("model", .visibleString(maxLength: 255), fc: .dc, value: .string(model))),
            ])
    }

    /// Controllable single point.
    public static func spc(_ name: String, ctlModel: ControlModel, timeActivated: Bool = false) -> DataObjectSpec {
        controllable(name, cdc: "SPC", ctlVal: .boolean, status: status(.boolean) + substitution(.boolean), ctlModel: ctlModel, timeActivated: timeActivated)
    }

    /// Controllable double point.
    public static func dpc(_ name: String, ctlModel: ControlModel, timeActivated: Bool = false) -> DataObjectSpec {
        controllable(name, cdc: "DPC", ctlVal: .boolean, status: status(.dbpos) + substitution(.dbpos), ctlModel: ctlModel, timeActivated: timeActivated)
    }

    /// Controllable integer status.
    public static func inc(_ name: String, ctlModel: ControlModel, timeActivated: Bool = false) -> DataObjectSpec {
        controllable(name, cdc: "INC", ctlVal: .int32, status: status(.int32) + substitution(.int32), ctlModel: ctlModel, timeActivated: timeActivated)
    }

    /// Binary controlled step position (tap changer).
    public static func bsc(_ name: String, ctlModel: ControlModel, timeActivated: Bool = false) -> DataObjectSpec {
        let position: [DataObjectSpec.Child] = [
            .attribute(.constructed("valWTr", fc: .st, triggers: dchg, [.basic("posVal", .int8, fc: .st), .basic("transInd", .boolean, fc: .st)])),
            .attribute(.basic("q", .quality, fc: .st, triggers: qchg)),
            .attribute(.basic("t", .timestamp, fc: .st)),
        ]
        return controllable(name, cdc: "BSC", ctlVal: .tcmd, status: position, ctlModel: ctlModel, timeActivated: timeActivated)
    }

    /// Controllable analogue process value.
    public static func apc(_ name: String, ctlModel: ControlModel, timeActivated: Bool = false) -> DataObjectSpec {
        let measured: [DataObjectSpec.Child] = [
            .attribute(analogueValue("mxVal", fc: .mx, triggers: dchg)),
            .attribute(.basic("q", .quality, fc: .mx, triggers: qchg)),
            .attribute(.basic("t", .timestamp, fc: .mx)),
        ]
        return controllable(name, cdc: "APC", ctlVal: nil, status: measured, ctlModel: ctlModel, timeActivated: timeActivated)
    }

    /// The CO structures a control model needs, the status attributes and the CF settings.
    ///
    /// `timeActivated` adds operTm to Oper, SBOw and Cancel (time-activated control).
    static func controllable(
        _ name: String, cdc: String, ctlVal: BasicType?, status: [DataObjectSpec.Child], ctlModel: ControlModel, timeActivated: Bool = false
    ) -> DataObjectSpec {
        let value: DataAttributeSpec = ctlVal.map { .basic("ctlVal", $0, fc: .co) } ?? analogueValue("ctlVal", fc: .co)
        var children: [DataObjectSpec.Child] = []
        if ctlModel != .statusOnly {
            if ctlModel == .sboWithNormalSecurity {
                children.append(.attribute(.basic("SBO", .objectReference, fc: .co)))
            }
            if ctlModel == .sboWithEnhancedSecurity {
                children.append(.attribute(operate("SBOw", value: value, withCheck: true, operateTime: timeActivated)))
            }
            children.append(.attribute(operate("Oper", value: value, withCheck: true, operateTime: timeActivated)))
            if ctlModel == .sboWithNormalSecurity || ctlModel == .sboWithEnhancedSecurity || timeActivated {
                children.append(.attribute(operate("Cancel", value: value, withCheck: false, operateTime: timeActivated)))
            }
        }
        children.append(contentsOf: status)
        children.append(.attribute(.basic("ctlModel", .enumerated("ctlModel"), fc: .cf, value: .integer(ctlModel.rawValue))))
        if ctlModel == .sboWithNormalSecurity || ctlModel == .sboWithEnhancedSecurity {
            children.append(.attribute(.basic("sboTimeout", .int32u, fc: .cf, value: .unsigned(30_000))))
            children.append(.attribute(.basic("sboClass", .enumerated("sboClass"), fc: .cf, value: .integer(0))))
        }
        return DataObjectSpec(name: name, cdc: cdc, children: children)
    }

    /// An `Oper`, `SBOw` or `Cancel` structure.
    static func operate(_ name: String, value: DataAttributeSpec, withCheck: Bool, operateTime: Bool = false) -> DataAttributeSpec {
        var components: [DataAttributeSpec] = [value]
        if operateTime { components.append(.basic("operTm", .timestamp, fc: .co)) }
        components += [
            .constructed("origin", fc: .co, [.basic("orCat", .enumerated("orCategory"), fc: .co), .basic("orIdent", .octetString(maxLength: 64), fc: .co)]),
            .basic("ctlNum", .int8u, fc: .co),
            .basic("T", .timestamp, fc: .co),
            .basic("Test", .boolean, fc: .co),
        ]
        if withCheck { components.append(.basic("Check", .check, fc: .co)) }
        return .constructed(name, fc: .co, components)
    }
}
