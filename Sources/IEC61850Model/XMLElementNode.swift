import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// A parsed XML element with the line it starts on, so SCL errors can name the line.
final class XMLElementNode {
    let name: String
    let attributes: [String: String]
    let line: Int
    var children: [XMLElementNode] = []
    var text = ""

    init(name: String, attributes: [String: String], line: Int) {
        self.name = name
        self.attributes = attributes
        self.line = line
    }

    subscript(attribute: String) -> String? { attributes[attribute] }

    func children(named name: String) -> [XMLElementNode] { children.filter { $0.name == name } }

    func child(named name: String) -> XMLElementNode? { children.first { $0.name == name } }

    /// Parses a document; throws the parser's error with its line.
    static func parse(data: Data) throws -> XMLElementNode {
        // Foundation's parser on Linux traps on element names that are not UTF-8; SCL files are UTF-8
        // (IEC 61850-6), so anything else is refused here, with the line of the first bad byte.
        if let offset = Self.firstInvalidUTF8(data) {
            let line = data.prefix(offset).reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
            throw XMLParseFailure(line: line, message: "not UTF-8 (byte \(offset)); SCL files are UTF-8")
        }
        // Foundation's parser on Linux crashes (strlen of NULL) on a processing instruction with no data,
        // `<?name?>`, which libxml2 reports with a NULL data pointer (found by fuzzing); SCL has no use for one.
        if let offset = Self.firstEmptyProcessingInstruction(data) {
            let line = data.prefix(offset).reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
            throw XMLParseFailure(line: line, message: "a processing instruction without data (<?name?>) is not supported")
        }
        let builder = TreeBuilder()
        // Fed as a stream, a piece at a time: given the whole document at once, libxml2 refuses a file of
        // more than 10 MB ("huge input lookup"), and substation SCD files are often larger.
        let parser = XMLParser(stream: InputStream(data: data))
        parser.shouldProcessNamespaces = true
        parser.delegate = builder
        // Foundation's parser on Linux can return true after an error; the delegate keeps the first one.
        let succeeded = parser.parse()
        if let failure = builder.firstError { throw failure }
        guard succeeded, let root = builder.root else {
            throw XMLParseFailure(line: parser.lineNumber, message: "not well-formed XML")
        }
        return root
    }
}

extension XMLElementNode {
    /// The offset of the first byte that is not part of well-formed UTF-8, or nil.
    static func firstInvalidUTF8(_ data: Data) -> Int? {
        var decoder = UTF8()
        var iterator = data.makeIterator()
        var consumed = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): consumed += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return consumed
            }
        }
    }
}

extension XMLElementNode {
    /// The offset of the first `<?target?>` (a processing instruction whose `?>` follows its target
    /// directly), or nil.
    static func firstEmptyProcessingInstruction(_ data: Data) -> Int? {
        let bytes = [UInt8](data)
        var index = 0
        while index + 1 < bytes.count {
            guard bytes[index] == UInt8(ascii: "<"), bytes[index + 1] == UInt8(ascii: "?") else {
                index += 1
                continue
            }
            var end = index + 2
            while end < bytes.count, !Self.endsTarget(bytes[end]) { end += 1 }
            if end + 1 < bytes.count, bytes[end] == UInt8(ascii: "?"), bytes[end + 1] == UInt8(ascii: ">") { return index }
            index = end
        }
        return nil
    }

    private static func endsTarget(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "?") || byte == UInt8(ascii: " ") || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == UInt8(ascii: "<")
    }
}

struct XMLParseFailure: Error {
    let line: Int
    let message: String
}

/// SAX delegate that builds the element tree.
private final class TreeBuilder: NSObject, XMLParserDelegate {
    static let maximumDepth = 256
    var root: XMLElementNode?
    var firstError: XMLParseFailure?
    private var stack: [XMLElementNode] = []

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
        guard firstError == nil else { return }
        let code = (parseError as NSError).code
        firstError = XMLParseFailure(line: parser.lineNumber, message: "not well-formed XML: \(Self.explain(code)) (libxml2 error \(code))")
    }

    /// Words for the libxml2 error codes people meet in hand-edited files.
    private static func explain(_ code: Int) -> String {
        switch code {
        case 4: "the document is empty"
        case 5: "unexpected end of the document or content after the root element"
        case 9: "an invalid character"
        case 38, 39, 40: "an attribute value is not closed"
        case 41: "an attribute has no value"
        case 65: "an attribute is written wrongly"
        case 73: "'>' expected"
        case 76: "an opening and an ending tag do not match"
        case 77: "an element is not closed"
        default: "syntax error"
        }
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        // SCL nests about 15 deep; thousands of levels would only exhaust the stack (building, walking
        // and freeing the tree are recursive).
        guard stack.count < Self.maximumDepth else {
            if firstError == nil {
                firstError = XMLParseFailure(line: parser.lineNumber, message: "elements nested deeper than \(Self.maximumDepth) levels")
            }
            parser.abortParsing()
            return
        }
        let node = XMLElementNode(name: elementName, attributes: attributeDict, line: parser.lineNumber)
        if let parent = stack.last { parent.children.append(node) } else { root = node }
        stack.append(node)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        _ = stack.popLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        stack.last?.text += string
    }
}
