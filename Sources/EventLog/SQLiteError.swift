/// A failed SQLite call: the operation, SQLite's result code and its message.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    /// The SQLite result code (`SQLITE_BUSY` = 5, `SQLITE_CORRUPT` = 11, …).
    public let code: Int32
    public let message: String

    public init(operation: String, code: Int32, message: String) {
        self.operation = operation
        self.code = code
        self.message = message
    }

    public var description: String { "\(operation): \(message) (SQLite \(code))" }
}
