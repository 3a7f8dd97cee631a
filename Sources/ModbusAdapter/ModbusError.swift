import CModbus
import Glibc

/// A failed Modbus operation: the libmodbus message (timeout, connection refused, illegal address…).
public struct ModbusError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let message: String
    /// errno of the failed call (a libmodbus code from `MODBUS_ENOBASE` on), 0 when not from a call.
    public let code: Int32

    public init(operation: String, message: String, code: Int32 = 0) {
        self.operation = operation
        self.message = message
        self.code = code
    }

    /// The error of the libmodbus call that just failed (from errno).
    static func last(_ operation: String) -> ModbusError {
        let code = cmodbus_errno()
        return ModbusError(operation: operation, message: String(cString: modbus_strerror(code)), code: code)
    }

    /// The line works but the device did not answer, or answered with an exception or a bad frame: the
    /// other units on a serial line are not affected.
    var concernsDeviceOnly: Bool { code == ETIMEDOUT || code > Int32(MODBUS_ENOBASE) }

    public var description: String { "\(operation): \(message)" }
}
