/// A file of a node's state folder that cannot be written.
public struct RedundancyError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String

    public var description: String { "\(path): \(reason)" }
}
