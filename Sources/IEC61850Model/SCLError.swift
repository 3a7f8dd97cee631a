/// A problem in an SCL file, naming the file, the line and the element.
public struct SCLError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Int, Sendable {
        /// The file could not be read.
        case unreadable = 401
        /// The XML is not well-formed.
        case malformedXML = 402
        /// A required element or attribute is missing.
        case missing = 403
        /// A reference to a type or IED that does not exist.
        case unresolvedReference = 404
        /// A value that does not fit its type.
        case invalidValue = 405
        /// A type refers to itself.
        case recursiveType = 406
        /// The model would be larger than a server serves (an array `count`, or the whole model).
        case tooLarge = 407
    }

    public var kind: Kind
    public var file: String
    public var line: Int
    public var element: String
    public var message: String

    public init(_ kind: Kind, file: String, line: Int, element: String, message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.element = element
        self.message = message
    }

    /// The stable error code (`SCL-404`).
    public var code: Int { kind.rawValue }

    public var description: String { "\(file):\(line): <\(element)>: SCL-\(code) \(message)" }
}
