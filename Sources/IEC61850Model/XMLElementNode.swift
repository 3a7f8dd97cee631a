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
        let builder = TreeBuilder()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            let message = parser.parserError.map { "\($0.localizedDescription)" } ?? "not well-formed XML"
            throw XMLParseFailure(line: parser.lineNumber, message: message)
        }
        return root
    }
}

struct XMLParseFailure: Error {
    let line: Int
    let message: String
}

/// SAX delegate that builds the element tree.
private final class TreeBuilder: NSObject, XMLParserDelegate {
    var root: XMLElementNode?
    private var stack: [XMLElementNode] = []

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
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
