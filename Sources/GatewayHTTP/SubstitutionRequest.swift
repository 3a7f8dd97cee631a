import Hummingbird
import IEC61850Model
import IEC61850Server

/// `POST /api/substitution` (engineer role): substitutes a data object's value, or releases it, as a
/// client does through subVal, subQ, subID and subEna (IEC 61850-7-3). The event log records who.
struct SubstitutionRequest: Decodable {
    /// The data object (`GenericIO/GGIO1.Ind1`).
    let object: String
    /// The substitute (true/false, a number, on/off/intermediate/bad for a double point).
    var value: String?
    /// good (default), questionable or invalid: subQ's validity.
    var validity: String?
    /// true: end the substitution.
    var release: Bool?

    static func run(_ request: SubstitutionRequest, server: IedServer, context: OperationsContext) throws -> Response {
        try context.requireEngineer()
        let who = "HTTP \(context.peer ?? "?")"
        guard let target = server.substitutionTarget(of: request.object) else {
            throw HTTPError(.notFound, message: "\(request.object) is not a substitutable data object (no subEna and substitute in FC SV)")
        }
        if request.release == true {
            try server.endSubstitution(of: request.object, by: who)
            return try JSONResponse.make(["object": request.object, "result": "released"])
        }
        guard let text = request.value else { throw HTTPError(.badRequest, message: "give value (the substitute) or release: true") }
        guard let value = Self.value(text, as: target.type) else {
            throw HTTPError(.badRequest, message: "'\(text)' is not a value of \(target.reference) (\(target.type))")
        }
        let validity: Quality.Validity
        switch request.validity ?? "good" {
        case "good": validity = .good
        case "questionable": validity = .questionable
        case "invalid": validity = .invalid
        default: throw HTTPError(.badRequest, message: "validity must be good, questionable or invalid")
        }
        try server.substitute(request.object, with: value, quality: Quality(validity: validity), by: who)
        return try JSONResponse.make(["object": request.object, "result": "substituted", "value": text])
    }

    /// A substitute from text, for the replaced attribute's type.
    static func value(_ text: String, as type: BasicType) -> DataValue? {
        switch type {
        case .boolean:
            switch text.lowercased() {
            case "true", "1", "on": return .boolean(true)
            case "false", "0", "off": return .boolean(false)
            default: return nil
            }
        case .dbpos:
            let names: [String: Int64] = ["intermediate": 0, "off": 1, "on": 2, "bad": 3]
            return (names[text.lowercased()] ?? Int64(text)).flatMap { (0...3).contains($0) ? .integer($0) : nil }
        case .int8, .int16, .int32, .int64, .enumerated: return Int64(text).map(DataValue.integer)
        case .int8u, .int16u, .int24u, .int32u: return UInt64(text).map(DataValue.unsigned)
        case .float32: return Float(text).map(DataValue.float32)
        case .float64: return Double(text).map(DataValue.float64)
        default: return nil
        }
    }
}
