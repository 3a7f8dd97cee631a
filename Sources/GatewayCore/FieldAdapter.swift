import IEC61850Services

/// One field protocol's side of the gateway (Modbus, MQTT, …): it reads the configuration's points from
/// the field and carries commands back. The core and the executable know adapters only through this
/// protocol; adding one is a new target and one line in the executable's list of ``FieldAdapterKind``s.
///
/// Readings out: an adapter is made with a sink and hands it every reading it takes, and a source's
/// failure as readings without a value (the runtime then marks those points' quality).
public protocol FieldAdapter: AnyObject, Sendable {
    /// What the adapter talks to, for logs (`modbus 10.0.0.5:502`, `mqtt broker.plant:1883`).
    var name: String { get }
    /// Starts polling or subscribing. Throws when the adapter cannot start at all (an unusable broker
    /// address); a device that does not answer is not an error here, but a link that is down.
    func start() throws
    /// Stops; nothing is delivered once it returns.
    func stop()
    /// Link state out: each source the adapter reads, and whether it answers now.
    var links: [FieldLink] { get }
    /// Whether commands over `route` are this adapter's to carry.
    func carries(_ route: GatewayConfiguration.ControlRoute) -> Bool
    /// Commands in: carries one command to the field. Returns the device's own answer when the protocol
    /// has one (an MQTT response topic), or nil when only the point's status can confirm the command
    /// (a Modbus write). Throws when the command could not be delivered; a `CancellationError` when the
    /// command ended (its answer went out) before it was sent, in which case it is never sent.
    func send(_ command: FieldCommand) async throws -> ControlResult?
    /// Whether the standby of a redundant pair may read these sources as well as the active node: true
    /// where the field takes several masters (Modbus TCP devices, an MQTT broker), false for a serial
    /// line only one master may drive. The default is true.
    var readableByStandby: Bool { get }
    /// Stops for the peer of a redundant pair to take the sources over: as ``stop()``, and the points
    /// only this adapter reads turn invalid, since this node no longer reads them. The default stops.
    func hold()
}

extension FieldAdapter {
    public var readableByStandby: Bool { true }
    public func hold() { stop() }
}

/// A command on its way to the field.
public struct FieldCommand: Sendable {
    /// The point's control route (an adapter reads its own part of it).
    public let route: GatewayConfiguration.ControlRoute
    /// The value to write: ctlVal through the route's value map.
    public let value: FieldValue
    /// The command as the server received it (ctlVal, origin, ctlNum, test).
    public let action: ControlAction
    /// How long the route waits for a confirmation.
    public let timeout: Duration

    public init(route: GatewayConfiguration.ControlRoute, value: FieldValue, action: ControlAction, timeout: Duration) {
        self.route = route
        self.value = value
        self.action = action
        self.timeout = timeout
    }
}

/// Makes the adapters a configuration asks for (none when it names no source of that protocol), each
/// delivering its readings to `deliver`.
public typealias FieldAdapterFactory =
    @Sendable (_ configuration: GatewayConfiguration, _ deliver: @escaping @Sendable ([FieldReading]) -> Void) throws -> [any FieldAdapter]

/// A field protocol as the executable lists it: the factory of its adapters, and the configuration keys
/// they read themselves (`bus:` as a top-level section, a point's source and a control route). The core
/// accepts those keys and keeps what is under them as written (``ConfigurationValue``, with lines); the
/// built-in Modbus and MQTT sections need none.
public struct FieldAdapterKind: Sendable {
    public let configurationKeys: Set<String>
    public let make: FieldAdapterFactory

    public init(configurationKeys: Set<String> = [], make: @escaping FieldAdapterFactory) {
        self.configurationKeys = configurationKeys
        self.make = make
    }
}
