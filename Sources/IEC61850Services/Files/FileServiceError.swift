/// Why a file service request was refused: a stable code (FIL-6xx) and a message in words. The MMS
/// side answers each with its ServiceError.
public struct FileServiceError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let number: Int

        private init(_ number: Int) { self.number = number }

        /// No such file or directory in the file store.
        public static let nonExistent = Code(601)
        /// The name is not a path the store accepts (`..`, a backslash, a NUL, too long).
        public static let nameSyntax = Code(602)
        /// The association may not do this (a delete without the right, or with deletion off).
        public static let accessDenied = Code(603)
        /// Too many files open, on this association or on the server.
        public static let busy = Code(604)
        /// The initial position is past the end of the file.
        public static let positionInvalid = Code(605)
        /// The operating system refused (an I/O error).
        public static let other = Code(606)
        /// A file of that name exists already (a written file never replaces one).
        public static let exists = Code(607)
        /// A written file is larger than the store takes.
        public static let tooLarge = Code(608)
        /// The client did not answer, or answered wrongly, while the server fetched a file from it.
        public static let transferFailed = Code(609)

        public var description: String { "FIL-\(number)" }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code) \(message)" }
}
