/// A problem in an SCL file: a stable code, and a message naming the file, the line and the element.
public struct SCLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The kind of problem, with its stable number (SCL-4xx).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The number in the family.
        public let number: Int

        private init(_ number: Int) { self.number = number }

        /// The file could not be read.
        public static let unreadable = Code(401)
        /// The XML is not well-formed.
        public static let malformedXML = Code(402)
        /// A required element or attribute is missing.
        public static let missing = Code(403)
        /// A reference to a type or IED that does not exist.
        public static let unresolvedReference = Code(404)
        /// A value that does not fit its type.
        public static let invalidValue = Code(405)
        /// A type refers to itself.
        public static let recursiveType = Code(406)
        /// The model would be larger than a server serves (an array `count`, or the whole model).
        public static let tooLarge = Code(407)

        public var description: String { "SCL-\(number)" }
    }

    /// The former name of ``Code``.
    public typealias Kind = Code

    /// The stable error code (`SCL-404`).
    public var code: Code
    public var file: String
    public var line: Int
    public var element: String
    public var message: String

    public init(_ code: Code, file: String, line: Int, element: String, message: String) {
        self.code = code
        self.file = file
        self.line = line
        self.element = element
        self.message = message
    }

    /// The former name of ``code``.
    public var kind: Code { code }

    public var description: String { "\(file):\(line): <\(element)>: \(code) \(message)" }
}
