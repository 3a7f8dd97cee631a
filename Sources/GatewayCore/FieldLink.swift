/// A source an adapter reads (a Modbus device, an MQTT broker): whether it answers, and what the
/// operations side shows of it (round-trip time, counters, the last error).
public struct FieldLink: Sendable, Equatable, Codable {
    /// `modbus meter1`, `mqtt broker.plant:1883`.
    public let source: String
    public var up: Bool
    /// The name the metrics label it with (`meter1`, `broker.plant:1883`).
    public var device: String
    /// `modbus`, `mqtt`.
    public var kind: String
    /// Where it is (`10.0.0.5:502`, `/dev/ttyUSB0 unit 3`).
    public var address: String
    /// Since when (UTC ms) the link is in its present state; nil before the first attempt.
    public var sinceMilliseconds: UInt64?
    /// The last request's round trip, when the protocol has requests.
    public var roundTripMilliseconds: Double?
    /// Requests answered, and messages received unasked (MQTT publications).
    public var requests = 0
    public var messages = 0
    public var readErrors = 0
    public var writes = 0
    public var writeErrors = 0
    public var lastError: String?
    public var lastErrorMilliseconds: UInt64?
    public var lastGoodMilliseconds: UInt64?

    public init(source: String, up: Bool, device: String? = nil, kind: String = "", address: String = "") {
        self.source = source
        self.up = up
        self.device = device ?? source
        self.kind = kind
        self.address = address
    }
}
