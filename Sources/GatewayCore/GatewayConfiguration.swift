/// A gateway configuration as its YAML file states it (DESIGN.md §5): the model, the server settings,
/// the field devices and the points.
public struct GatewayConfiguration: Sendable {
    /// Where a setting came from, for messages.
    public struct Location: Sendable, Equatable {
        public let file: String
        public let line: Int
    }

    public struct Server: Sendable, Equatable {
        public var port: Int?
        public var bind: String?
        public var passwordEnvironmentVariable: String?
        public var maximumAssociations: Int?
    }

    public struct ModbusDevice: Sendable, Equatable {
        public enum Transport: Sendable, Equatable {
            case tcp(host: String, port: Int)
            case rtu(device: String, baud: Int, parity: Character, dataBits: Int, stopBits: Int, rs485: Bool)
        }
        public var name: String
        public var transport: Transport
        public var unit: Int = 1
        public var byteOrder: Endianness = .big
        public var wordOrder: Endianness = .big
        /// 0 when the device's documentation counts addresses from 0, 1 when from 1.
        public var addressing: Int = 0
        public var timeoutMilliseconds: Int = 1000
        /// How long to wait before trying a device again after it failed.
        public var retryMilliseconds: Int = 5000
        public var location: Location
    }

    /// A Modbus source or destination of a point.
    public struct ModbusAddress: Sendable, Equatable {
        public var device: String
        public var table: ModbusTable
        /// As the device documents it (see the device's addressing).
        public var address: Int
        public var type: ModbusDataType
        /// A bit of a register (0…15), read as a boolean.
        public var bit: Int?
        /// Characters, for strings.
        public var length: Int = 0
        /// Per-point overrides of the device's orders.
        public var byteOrder: Endianness?
        public var wordOrder: Endianness?
    }

    /// Where a control goes and how it is confirmed.
    public struct ControlRoute: Sendable, Equatable {
        public var modbus: ModbusAddress?
        /// Commanded value (as text: `true`, `false`, `on`, numbers) to the value written.
        public var valueMap: [String: String] = [:]
        /// Write the value, then after this time write the opposite (a pulse), for coils.
        public var pulseMilliseconds: Int?
        /// The command succeeds when the point's status reaches the commanded value within this time.
        public var confirmMilliseconds: Int = 2000
    }

    /// What a point's quality becomes when its source stops answering.
    public enum FailureQuality: String, Sendable, Equatable {
        /// validity invalid, detail failure
        case invalid
        /// validity questionable, details failure and oldData
        case questionable
    }

    public struct Point: Sendable, Equatable {
        /// A data object (`Measurement/MMXU1.TotW`: the value goes to its main attribute) or an attribute.
        public var reference: String
        public var modbus: ModbusAddress?
        public var pollMilliseconds: Int = 1000
        public var transform = PointTransform()
        /// A change smaller than this (after scaling) is not an update.
        public var deadband: Double = 0
        public var onFailure: FailureQuality = .invalid
        public var control: ControlRoute?
        public var location: Location
    }

    public var file: String
    /// The SCL file (resolved against the configuration file's folder) and the IED to serve.
    public var scl: String?
    public var ied: String?
    public var server = Server()
    public var modbusDevices: [ModbusDevice] = []
    public var points: [Point] = []
}
