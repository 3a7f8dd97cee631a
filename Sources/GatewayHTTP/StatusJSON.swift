import EventLog
import GatewayCore
import IEC61850Model
import IEC61850Server
import IEC61850Services

/// The JSON shapes of the HTTP API (README, "HTTP API"). Times are ISO 8601 UTC with milliseconds.
enum StatusJSON {
    struct Health: Encodable {
        let status: String
        let reason: String?
        let ied: String
        let configuration: String?
        let started: String
        let uptimeSeconds: Int
        let associations: Int
        let points: Int
        let devicesUp: Int
        let devices: Int
        let eventLog: String?
        /// active or standby (a gateway without a redundant pair is active).
        let role: String
        /// The node's name in a redundant pair.
        let node: String?
    }

    struct QualityJSON: Encodable, Equatable {
        /// good, invalid, questionable, reserved.
        let validity: String
        /// The detail bits set, in words (`failure`, `oldData`, `substituted`…).
        let detail: [String]
        let text: String

        init(_ quality: Quality) {
            let words = quality.eventText.split(separator: " ").map(String.init)
            validity = words[0]
            detail = Array(words.dropFirst())
            text = quality.eventText
        }
    }

    struct Point: Encodable, Equatable {
        let index: Int
        let reference: String
        let dataObject: String
        let value: JSONScalar
        let quality: QualityJSON?
        let time: String?
        let source: String
        let address: String?
        let changed: String?
        let substitutable: Bool

        init(_ status: PointStatus) {
            index = status.index
            reference = status.reference
            dataObject = status.dataObject
            value = JSONScalar(status.value)
            quality = status.quality.map(QualityJSON.init)
            time = status.time.map { EventTime.format($0.millisecondsSinceEpoch) }
            source = status.source
            address = status.address
            changed = status.changedMilliseconds.map(EventTime.format)
            substitutable = status.substitutable
        }
    }

    struct Device: Encodable, Equatable {
        let source: String
        let device: String
        let kind: String
        let address: String
        let up: Bool
        let since: String?
        let roundTripMs: Double?
        let requests: Int
        let messages: Int
        let readErrors: Int
        let writes: Int
        let writeErrors: Int
        let lastError: String?
        let lastErrorTime: String?
        let lastGood: String?

        init(_ link: FieldLink) {
            source = link.source
            device = link.device
            kind = link.kind
            address = link.address
            up = link.up
            since = link.sinceMilliseconds.map(EventTime.format)
            roundTripMs = link.roundTripMilliseconds.map { ($0 * 1000).rounded() / 1000 }
            requests = link.requests
            messages = link.messages
            readErrors = link.readErrors
            writes = link.writes
            writeErrors = link.writeErrors
            lastError = link.lastError
            lastErrorTime = link.lastErrorMilliseconds.map(EventTime.format)
            lastGood = link.lastGoodMilliseconds.map(EventTime.format)
        }
    }

    struct Association: Encodable, Equatable {
        let id: UInt64
        let peer: String?
        let since: String
        let role: String
        let reportControlBlocks: [String]

        init(_ status: AssociationStatus) {
            id = status.connection.id
            peer = status.connection.peerAddress
            since = EventTime.format(status.sinceMilliseconds)
            role = status.access
            reportControlBlocks = status.enabledReportControlBlocks
        }
    }
}

/// A value as JSON: numbers and booleans as such, everything else as its text.
enum JSONScalar: Encodable, Equatable {
    case number(Double)
    case integer(Int64)
    case unsigned(UInt64)
    case bool(Bool)
    case string(String)

    init(_ value: DataValue) {
        switch value {
        case .boolean(let bool): self = .bool(bool)
        case .integer(let integer): self = .integer(integer)
        case .unsigned(let unsigned): self = .unsigned(unsigned)
        // Through its shortest text, so 230.1 reads 230.1 and not 230.10000610351562.
        case .float32(let float): self = float.isFinite ? .number(Double("\(float)") ?? Double(float)) : .string("\(float)")
        case .float64(let double): self = double.isFinite ? .number(double) : .string("\(double)")
        default: self = .string(value.eventText)
        }
    }

    /// A field value read from a device: a float32 as the float it is.
    init(_ value: FieldValue, as type: ModbusDataType) {
        switch value {
        case .bool(let bool): self = .bool(bool)
        case .integer(let integer): self = .integer(integer)
        case .unsigned(let unsigned): self = .unsigned(unsigned)
        case .double(let double) where type == .float32: self.init(.float32(Float(double)))
        case .double(let double): self.init(.float64(double))
        case .string(let text): self = .string(text)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let number): try container.encode(number)
        case .integer(let integer): try container.encode(integer)
        case .unsigned(let unsigned): try container.encode(unsigned)
        case .bool(let bool): try container.encode(bool)
        case .string(let string): try container.encode(string)
        }
    }
}
