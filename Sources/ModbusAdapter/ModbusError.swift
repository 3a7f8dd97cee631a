import CModbus

/// A failed Modbus operation: the libmodbus message (timeout, connection refused, illegal address…).
public struct ModbusError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let message: String

    /// The error of the libmodbus call that just failed (from errno).
    static func last(_ operation: String) -> ModbusError {
        ModbusError(operation: operation, message: String(cString: modbus_strerror(cmodbus_errno())))
    }

    public var description: String { "\(operation): \(message)" }
}
