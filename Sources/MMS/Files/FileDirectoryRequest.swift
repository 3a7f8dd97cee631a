import BERCodec
import NIOCore

/// FileDirectory-Request (ISO 9506-2, confirmed service 77):
/// `BF 4D { [A0 fileSpecification FileName], [A1 continueAfter FileName] }`.
public struct FileDirectoryRequest: Sendable, Equatable {
    /// The directory or file to list; nil for the file store's root.
    public var specification: String?
    /// The entry after which to continue a listing that had more to follow.
    public var continueAfter: String?

    public init(specification: String? = nil, continueAfter: String? = nil) {
        self.specification = specification
        self.continueAfter = continueAfter
    }

    static func decode(_ element: BERElement) throws(MMSDecodeError) -> FileDirectoryRequest {
        var reader = element.children
        var request = FileDirectoryRequest()
        while !reader.isAtEnd {
            let field: BERElement
            do {
                field = try reader.readElement()
            } catch {
                throw .ber(error)
            }
            var names = field.children
            switch field.tag {
            case .contextConstructed(0): request.specification = try FileName.decode(&names)
            case .contextConstructed(1): request.continueAfter = try FileName.decode(&names)
            default: throw .invalidArgument("FileDirectory has no field \(field.tag)")
            }
        }
        return request
    }
}
