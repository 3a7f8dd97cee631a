/// A parsed XML element with the line it starts on, so SCL errors can name the line.
final class XMLElementNode {
    let name: String
    let attributes: [String: String]
    let line: Int
    var children: [XMLElementNode] = []
    /// The element's own character data (CDATA included), without leading and trailing white space.
    var text = ""

    init(name: String, attributes: [String: String], line: Int) {
        self.name = name
        self.attributes = attributes
        self.line = line
    }

    subscript(attribute: String) -> String? { attributes[attribute] }

    func children(named name: String) -> [XMLElementNode] { children.filter { $0.name == name } }

    func child(named name: String) -> XMLElementNode? { children.first { $0.name == name } }

    /// Parses a document (UTF-8 bytes); throws the first error with its line. `descendInto` decides which
    /// elements' children are built (see ``XMLReader/parse(_:descendInto:)``).
    static func parse(
        bytes: some Collection<UInt8>, descendInto: ((_ depth: Int, _ element: XMLElementNode) -> Bool)? = nil
    ) throws(XMLParseFailure) -> XMLElementNode {
        let result = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(XMLParseFailure) in try XMLReader.parse(buffer, descendInto: descendInto) }
        }
        if let result { return try result.get() }
        let copy = Array(bytes)
        return try copy.withUnsafeBufferPointer { buffer throws(XMLParseFailure) in try XMLReader.parse(buffer, descendInto: descendInto) }
    }
}
