/// A part of a configuration file that an adapter outside the core reads itself (its top-level section,
/// a point's source, a control route): the YAML as it was written, each node with its line, so that the
/// adapter's messages name the file and line as the core's do.
public struct ConfigurationValue: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A scalar, as written (`502`, `true`, `meter1`).
        case scalar(String)
        case sequence([ConfigurationValue])
        /// Keys in the order written.
        case mapping([Entry])
    }

    public struct Entry: Sendable, Hashable {
        public let key: String
        public let value: ConfigurationValue

        public init(key: String, value: ConfigurationValue) {
            self.key = key
            self.value = value
        }
    }

    public let kind: Kind
    /// The line in its file.
    public let line: Int

    public init(_ kind: Kind, line: Int) {
        self.kind = kind
        self.line = line
    }

    /// The value under `key`, when this is a mapping that has it.
    public subscript(key: String) -> ConfigurationValue? {
        guard case .mapping(let entries) = kind else { return nil }
        return entries.first { $0.key == key }?.value
    }

    /// The text of a scalar.
    public var text: String? {
        if case .scalar(let text) = kind { return text }
        return nil
    }

    /// A scalar that is a whole number.
    public var integer: Int? { text.flatMap { Int($0) } }

    /// The keys of a mapping, in order.
    public var keys: [String] {
        guard case .mapping(let entries) = kind else { return [] }
        return entries.map(\.key)
    }
}
