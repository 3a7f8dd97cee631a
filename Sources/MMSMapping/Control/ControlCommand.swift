import IEC61850Model
import IEC61850Services
import MMS

/// A control service request as written (Oper, SBOw or Cancel), decoded against the object's structure.
package struct ControlCommand: Sendable {
    package typealias Service = ControlRequest.Service

    package let service: Service
    /// The request in model terms, for the control service.
    package let request: ControlRequest
    /// The structure exactly as received (CommandTermination echoes it).
    package let data: MMSData

    /// Decodes the written structure; nil when it does not fit (inconsistent-parameters).
    package init?(_ data: MMSData, service: Service, object: MMSControlTargets.Target) {
        let names = service == .cancel ? object.operComponents.filter { $0 != "Check" } : object.operComponents
        guard case .structure(let values) = data, values.count == names.count else { return nil }
        var fields: [String: MMSData] = [:]
        for (name, value) in zip(names, values) { fields[name] = value }
        guard let rawValue = fields["ctlVal"], let value = Self.controlValue(rawValue, object.controlValue),
            case .structure(let origin)? = fields["origin"], origin.count == 2,
            case .integer(let category) = origin[0], case .octetString(let identifier) = origin[1], identifier.count <= 64,
            let ctlNum = fields["ctlNum"], let number = Self.unsigned(ctlNum), number <= 255,
            case .utcTime? = fields["T"], case .boolean(let test)? = fields["Test"]
        else { return nil }
        var check: UInt32 = 0
        if let raw = fields["Check"] {
            guard case .bitString(let bits) = raw, bits.bitCount <= 2 else { return nil }
            check = MMSValueCodec.bits(of: bits)
        }
        var operateTime: Timestamp?
        if case .utcTime(let octets)? = fields["operTm"] {
            operateTime = Timestamp(octets: octets)
            if let time = operateTime, time.secondsSinceEpoch == 0 && time.fraction == 0 { operateTime = nil }  // zero means "now"
        }
        self.service = service
        request = ControlRequest(
            parameters: ControlStateMachine.Parameters(
                value: value, originCategory: category, originIdentifier: identifier, controlNumber: UInt8(number), test: test, check: check),
            operateTime: operateTime)
        self.data = data
    }

    private static func unsigned(_ data: MMSData) -> UInt64? {
        switch data {
        case .unsigned(let value): value
        case .integer(let value) where value >= 0: UInt64(value)
        default: nil
        }
    }

    /// ctlVal as a value: a basic type, or the `f` (else `i`) of an AnalogueValue.
    private static func controlValue(_ data: MMSData, _ variable: MMSVariable) -> DataValue? {
        switch variable.content {
        case .leaf(let type, _):
            if case .success(let value) = MMSValueCodec.decode(data, as: type) { return value }
            return nil
        case .structure(let children):
            guard case .structure(let values) = data, values.count == children.count else { return nil }
            for (child, value) in zip(children, values) where child.name == "f" {
                if case .float32(let number) = value { return .float32(number) }
                if case .float64(let number) = value { return .float32(Float(number)) }
            }
            for (child, value) in zip(children, values) where child.name == "i" {
                if case .integer(let number) = value { return .integer(number) }
            }
            return nil
        case .array:
            return nil
        }
    }
}
