import BERCodec
import NIOCore

/// FileOpen-Request (ISO 9506-2, confirmed service 72):
/// `BF 48 { A0 fileName FileName, 81 initialPosition Unsigned32 }`.
public struct FileOpenRequest: Sendable, Equatable {
    public var name: String
    /// The octet to start reading at.
    public var initialPosition: UInt32

    public init(name: String, initialPosition: UInt32 = 0) {
        self.name = name
        self.initialPosition = initialPosition
    }

    static func decode(_ element: BERElement) throws(MMSDecodeError) -> FileOpenRequest {
        do {
            var reader = element.children
            var names = try reader.readElement(.contextConstructed(0)).children
            let name = try FileName.decode(&names)
            let position = try reader.readElement(.context(1)).integerValue()
            guard let initialPosition = UInt32(exactly: position) else { throw MMSDecodeError.invalidArgument("initial position \(position)") }
            return FileOpenRequest(name: name, initialPosition: initialPosition)
        } catch let error as MMSDecodeError {
            throw error
        } catch let error as BERError {
            throw .ber(error)
        } catch {
            throw .invalidArgument("\(error)")
        }
    }
}
