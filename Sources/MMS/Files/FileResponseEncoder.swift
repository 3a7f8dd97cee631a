import BERCodec
import NIOCore

/// What a FileOpen or FileDirectory response says of a file.
public struct FileAttributes: Sendable, Equatable {
    public var size: UInt32
    /// Last modification as GeneralizedTime text (`YYYYMMDDhhmmss.fffZ`, as libIEC61850 writes it).
    public var lastModified: String?

    public init(size: UInt32, lastModified: String?) {
        self.size = size
        self.lastModified = lastModified
    }

    /// FileAttributes ::= SEQUENCE { sizeOfFile [0] Unsigned32, lastModified [1] GeneralizedTime OPTIONAL },
    /// written into the element that holds it.
    func write(into buffer: inout ByteBuffer) {
        buffer.writeBERUnsigned(.context(0), UInt64(size))
        if let lastModified { buffer.writeBERString(.context(1), lastModified) }
    }
}

/// One entry of a FileDirectory response.
public struct DirectoryEntry: Sendable, Equatable {
    public var name: String
    public var attributes: FileAttributes

    public init(name: String, attributes: FileAttributes) {
        self.name = name
        self.attributes = attributes
    }
}

/// The responses of the file services.
public enum FileResponseEncoder {
    /// FileOpen-Response: `BF 48 { 80 frsmID, A1 FileAttributes }`.
    public static func writeFileOpenResponse(frsmID: Int32, attributes: FileAttributes, into buffer: inout ByteBuffer) {
        buffer.writeBERElement(.contextConstructed(72)) { response in
            response.writeBERInteger(.context(0), Int64(frsmID))
            response.writeBERElement(.contextConstructed(1)) { attributes.write(into: &$0) }
        }
    }

    /// FileRead-Response: `BF 49 { 80 fileData, [81 moreFollows] }` (moreFollows DEFAULT TRUE: written
    /// only when false).
    public static func writeFileReadResponse(data: ByteBuffer, moreFollows: Bool, into buffer: inout ByteBuffer) {
        buffer.writeBERElement(.contextConstructed(73)) { response in
            response.writeBERPrimitive(.context(0), buffer: data)
            if !moreFollows { response.writeBERBoolean(.context(1), false) }
        }
    }

    /// The NULL responses of FileClose (`9F 4A 00`) and FileDelete (`9F 4C 00`).
    public static func writeNullResponse(service: UInt32, into buffer: inout ByteBuffer) {
        buffer.writeBERNull(.context(service))
    }

    /// FileDirectory-Response: `BF 4D { A0 { 30 { 30 { A0 { 19 name }, A1 FileAttributes }… } }, [81 moreFollows] }`
    /// (listOfDirectoryEntry is an explicitly tagged SEQUENCE OF, as libIEC61850's client reads it).
    public static func writeFileDirectoryResponse(entries: some Sequence<DirectoryEntry>, moreFollows: Bool, into buffer: inout ByteBuffer) {
        buffer.writeBERElement(.contextConstructed(77)) { response in
            response.writeBERElement(.contextConstructed(0)) { wrapper in
                wrapper.writeBERElement(.sequence) { list in
                    for entry in entries {
                        list.writeBERElement(.sequence) { item in
                            item.writeBERElement(.contextConstructed(0)) { FileName.write(entry.name, into: &$0) }
                            item.writeBERElement(.contextConstructed(1)) { entry.attributes.write(into: &$0) }
                        }
                    }
                }
            }
            if moreFollows { response.writeBERBoolean(.context(1), true) }
        }
    }

    /// The octets a FileDirectory response spends on one entry besides its name, and on its own headers
    /// (for paging within the PDU size).
    public static func directoryEntryOverhead(nameLength: Int) -> Int { nameLength + 48 }
}
