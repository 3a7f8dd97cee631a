import GatewayCore
import IEC61850Services
import Logging

extension ModbusPoller: FieldAdapter {
    /// One poller per line: a TCP device, or the units that share a serial port.
    public static let adapters: FieldAdapterFactory = { configuration, deliver in
        lines(configuration.modbusDevices).map { line in
            ModbusPoller(line: line, points: configuration.points, logger: Logger(label: "iec61850-gateway.modbus"), deliver: deliver)
        }
    }

    /// The protocol as the executable lists it (its configuration sections are the core's built-in ones).
    public static let kind = FieldAdapterKind(make: adapters)

    public var name: String { "modbus \(lineName)" }

    /// Each device of the line, up once it has answered and until a request fails.
    public var links: [FieldLink] {
        let answering = answeringDevices
        return monitors.map { monitor in
            var link = monitor.link
            link.up = answering.contains(link.device)
            return link
        }
    }

    /// Routes that write to a device of this line.
    public func carries(_ route: GatewayConfiguration.ControlRoute) -> Bool {
        guard let destination = route.modbus else { return false }
        return devices.contains { $0.name == destination.device }
    }

    /// Writes the value; a Modbus device says nothing more, so the point's status confirms.
    public func send(_ command: FieldCommand) async throws -> ControlResult? {
        guard let destination = command.route.modbus else { throw ModbusError(operation: "write", message: "the route has no Modbus destination") }
        try await write(device: destination.device, destination, command.value)
        return nil
    }

    /// A serial line takes one master: the standby leaves it to the active node.
    public var readableByStandby: Bool { devices[0].serialPort == nil }

    /// Stops polling and marks the line's points invalid (failure): the peer reads them now.
    public func hold() {
        stop()
        releaseLine()
    }
}
