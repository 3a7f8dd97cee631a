import GatewayCore
import IEC61850Services
import Logging

extension MQTTAdapter: FieldAdapter {
    /// One adapter for the configuration's broker, if it names one.
    public static let adapters: FieldAdapterFactory = { configuration, deliver in
        guard let broker = configuration.mqtt else { return [] }
        return [try MQTTAdapter(broker: broker, points: configuration.points, logger: Logger(label: "iec61850-gateway.mqtt"), deliver: deliver)]
    }

    /// The protocol as the executable lists it (its configuration sections are the core's built-in ones).
    public static let kind = FieldAdapterKind(make: adapters)

    public var name: String { "mqtt \(client.broker.host):\(client.broker.port)" }

    /// The broker, up while connected.
    public var links: [FieldLink] {
        var link = monitor.link
        link.up = client.isConnected
        return [link]
    }

    /// Routes with a command topic.
    public func carries(_ route: GatewayConfiguration.ControlRoute) -> Bool { route.mqtt != nil }

    /// Publishes the command: the device's answer on the response topic, or nil when the route has none.
    public func send(_ command: FieldCommand) async throws -> ControlResult? {
        guard let route = command.route.mqtt else { return .failure(.notSupported) }
        return await self.command(route, action: command.action, timeout: command.timeout)
    }
}
