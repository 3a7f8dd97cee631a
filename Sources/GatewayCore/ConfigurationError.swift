/// A problem in a gateway configuration, with where it is: file, line and, for a point, its reference.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int
    /// The point's reference (or a device's name) the problem belongs to, when it belongs to one.
    public let subject: String?
    public let message: String

    public init(file: String, line: Int, subject: String? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.subject = subject
        self.message = message
    }

    /// `plant.yaml:14: point GenericIO/GGIO1.Ind9: no data object Ind9 in GenericIO/GGIO1`.
    public var description: String {
        "\(file):\(line): " + (subject.map { "\($0): " } ?? "") + message
    }
}

/// Every problem found in a configuration (reported together, in file order).
public struct ConfigurationErrors: Error, Sendable, CustomStringConvertible {
    public let errors: [ConfigurationError]

    public init(errors: [ConfigurationError]) { self.errors = errors }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
