/// One entry of the gateway's event log: a value or quality change, a command, a field connection
/// going up or down, or an association.
public struct GatewayEvent: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A point's value changed (`reference` is the attribute, `value` the new value).
        case value
        /// A point's quality changed (`quality` says to what, `detail` why).
        case quality
        /// A control command ended (`result` success or failure, `cause` the AddCause).
        case command
        /// A field source (Modbus device, MQTT broker) went down or came back (`result` down or up).
        case communication
        /// An association was accepted, refused or ended (`client` the peer, `result` what happened).
        case association
        /// A client failed to authenticate or was locked out (`client` the peer, `detail` why).
        case security
        /// The event log itself could not be written, or recovered (`result` failing, recovered or
        /// quarantined, `detail` why and what was lost).
        case storage
        /// The configuration was reloaded, or a reload was refused (`reference` the file, `result`
        /// applied or refused, `client` who asked, `detail` what changed or why not).
        case configuration
        /// A data object was substituted or released (`reference` the object, `value` the substitute,
        /// `client` who, `result` substituted or released, `detail` its subID).
        case substitution
        /// The gateway's role in a redundant pair changed (`reference` the node, `result` active or
        /// standby, `detail` what asked), or a command was refused because the node stands by.
        case role
    }

    /// The row number in the database (0 until stored); increasing.
    public var id: Int64
    /// UTC milliseconds since 1970.
    public var timeMilliseconds: UInt64
    public var kind: Kind
    /// What it concerns: an attribute or data object reference, a device or broker name.
    public var reference: String
    public var value: String?
    public var quality: String?
    /// The client's address (`ip:port`) for commands and associations.
    public var client: String?
    /// orCat and orIdent of a command (`3:scada`).
    public var origin: String?
    public var controlNumber: Int?
    public var result: String?
    public var cause: String?
    public var detail: String?

    public init(
        id: Int64 = 0, timeMilliseconds: UInt64, kind: Kind, reference: String, value: String? = nil, quality: String? = nil, client: String? = nil,
        origin: String? = nil, controlNumber: Int? = nil, result: String? = nil, cause: String? = nil, detail: String? = nil
    ) {
        self.id = id
        self.timeMilliseconds = timeMilliseconds
        self.kind = kind
        self.reference = reference
        self.value = value
        self.quality = quality
        self.client = client
        self.origin = origin
        self.controlNumber = controlNumber
        self.result = result
        self.cause = cause
        self.detail = detail
    }
}
