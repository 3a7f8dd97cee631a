/// A strict, non-validating XML 1.0 reader that builds the element tree of an SCL file.
///
/// SCL files are plain XML: elements, attributes, character data, comments, CDATA sections and
/// processing instructions, in UTF-8. This reader accepts exactly that and refuses what SCL never
/// needs and attackers use: a document type declaration (and with it every entity but the five
/// predefined ones), so there is no entity expansion and nothing is fetched. Element names lose their
/// namespace prefix (`scl:LN` is `LN`); attribute names keep theirs; namespace declarations are kept as
/// attributes. Errors name the line and say what is wrong in words.
///
/// It replaces Foundation's `XMLParser` (libxml2), which on Linux trapped on some malformed input, refused
/// a document of more than 10 MB given at once, and pulled libxml2 and ICU into every process that loads
/// an SCL file.
struct XMLReader: ~Copyable {
    /// SCL nests about 15 deep; thousands of levels would only exhaust the stack when the tree is freed.
    static let maximumDepth = 256

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    /// `line` is the line of the byte at `counted`; lines are counted lazily, always forwards.
    private var line = 1
    private var counted = 0
    private var open: [OpenElement] = []
    private var root: XMLElementNode?
    private let descendInto: ((_ depth: Int, _ element: XMLElementNode) -> Bool)?

    /// An element whose end tag has not come yet.
    private struct OpenElement {
        /// Nil for an element inside one whose children are not built.
        let node: XMLElementNode?
        let line: Int
        /// Where its qualified name is in the input, to match the end tag.
        let name: Range<Int>
        /// Whether its children are built.
        let descend: Bool
        var text: [UInt8] = []
    }

    private init(bytes: UnsafeBufferPointer<UInt8>, descendInto: ((_ depth: Int, _ element: XMLElementNode) -> Bool)? = nil) {
        self.bytes = bytes
        self.descendInto = descendInto
    }

    /// Parses a whole document into its root element.
    ///
    /// - Parameter descendInto: Decides, for an element just read (its depth, the root's is 0), whether
    ///   its children are built. The children of an element it refuses are still read and checked, but
    ///   not kept: an SCD's other IEDs then cost no memory.
    static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, descendInto: ((_ depth: Int, _ element: XMLElementNode) -> Bool)? = nil
    ) throws(XMLParseFailure) -> XMLElementNode {
        if let offset = firstInvalidUTF8(bytes) {
            throw XMLReader(bytes: bytes).failure(at: offset, "not UTF-8 (byte \(offset)); SCL files are UTF-8")
        }
        var reader = XMLReader(bytes: bytes, descendInto: descendInto)
        return try reader.document()
    }

    private mutating func document() throws(XMLParseFailure) -> XMLElementNode {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "<") {
                try markup()
            } else if open.isEmpty {
                try whitespaceOutsideRoot()
            } else {
                try characterData()
            }
        }
        if let innermost = open.last {
            let name = String(decoding: bytes[innermost.name], as: UTF8.self)
            throw failure(at: bytes.count, "the document ends before </\(name)> (opened on line \(innermost.line))")
        }
        guard let root else { throw failure(at: bytes.count, "the document is empty: it has no root element") }
        return root
    }

    // MARK: Markup

    private mutating func markup() throws(XMLParseFailure) {
        let start = index
        guard index + 1 < bytes.count else { throw failure(at: start, "the document ends after '<'") }
        switch bytes[index + 1] {
        case UInt8(ascii: "/"): try endTag()
        case UInt8(ascii: "?"): try skip(past: "?>", from: start + 2, what: "a processing instruction")
        case UInt8(ascii: "!"):
            if hasPrefix("<!--", at: start) {
                try skip(past: "-->", from: start + 4, what: "a comment")
            } else if hasPrefix("<![CDATA[", at: start) {
                guard !open.isEmpty else { throw failure(at: start, "a CDATA section outside the root element") }
                let content = start + 9
                try skip(past: "]]>", from: content, what: "a CDATA section")
                if open[open.count - 1].node != nil { open[open.count - 1].text.append(contentsOf: bytes[content..<(index - 3)]) }
            } else if hasPrefix("<!DOCTYPE", at: start) {
                throw failure(
                    at: start, "a document type declaration (<!DOCTYPE>) is not accepted: SCL files have none, and its entities could expand without bound")
            } else {
                throw failure(at: start, "'<!' that starts neither a comment nor a CDATA section")
            }
        default: try startTag()
        }
    }

    private mutating func startTag() throws(XMLParseFailure) {
        let start = index
        index += 1
        let name = try self.name(after: "<")
        var attributes: [String: String] = [:]
        var selfClosing = false
        while true {
            let spaced = skipWhitespace()
            guard index < bytes.count else { throw failure(at: index, "the document ends inside the start tag <\(text(name))>") }
            let byte = bytes[index]
            if byte == UInt8(ascii: ">") {
                index += 1
                break
            }
            if byte == UInt8(ascii: "/") {
                guard index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: ">") else {
                    throw failure(at: index, "'>' expected after '/' in <\(text(name))>")
                }
                index += 2
                selfClosing = true
                break
            }
            guard spaced else { throw failure(at: index, "'>' or a space expected in the start tag <\(text(name))>") }
            let key = text(try self.name(after: "an attribute of <\(text(name))>: a name"))
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { throw failure(at: index, "attribute '\(key)' of <\(text(name))> has no value") }
            index += 1
            skipWhitespace()
            let value = try attributeValue(of: key)
            guard attributes.updateValue(value, forKey: key) == nil else { throw failure(at: start, "attribute '\(key)' appears twice in <\(text(name))>") }
        }
        if open.isEmpty, root != nil { throw failure(at: start, "a second root element <\(text(name))>; a document has one") }
        guard open.count < Self.maximumDepth else { throw failure(at: start, "elements nested deeper than \(Self.maximumDepth) levels") }
        let line = line(at: start)
        var node: XMLElementNode?
        var descend = false
        if open.last?.descend ?? true {
            let element = XMLElementNode(name: localName(name), attributes: attributes, line: line)
            if let parent = open.last?.node { parent.children.append(element) } else { root = element }
            descend = descendInto?(open.count, element) ?? true
            node = element
        }
        if !selfClosing { open.append(OpenElement(node: node, line: line, name: name, descend: descend)) }
    }

    private mutating func endTag() throws(XMLParseFailure) {
        let start = index
        index += 2
        let name = try self.name(after: "</")
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ">") else { throw failure(at: index, "'>' expected to close </\(text(name))>") }
        index += 1
        guard let innermost = open.popLast() else { throw failure(at: start, "the end tag </\(text(name))> closes nothing") }
        guard bytes[innermost.name].elementsEqual(bytes[name]) else {
            throw failure(at: start, "the end tag </\(text(name))> does not match <\(text(innermost.name))> of line \(innermost.line)")
        }
        innermost.node?.text = Self.trimmed(innermost.text)
    }

    /// Reads an XML name; `context` says what was expected, for the error.
    private mutating func name(after context: String) throws(XMLParseFailure) -> Range<Int> {
        let start = index
        guard index < bytes.count, Self.startsName(bytes[index]) else { throw failure(at: index, "a name expected after \(context)") }
        index += 1
        while index < bytes.count, Self.continuesName(bytes[index]) { index += 1 }
        return start..<index
    }

    private mutating func attributeValue(of key: String) throws(XMLParseFailure) -> String {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") else {
            throw failure(at: index, "the value of attribute '\(key)' is not in quotes")
        }
        let quote = bytes[index]
        index += 1
        let start = index
        var plain = true
        while index < bytes.count, bytes[index] != quote {
            let byte = bytes[index]
            if byte == UInt8(ascii: "<") { throw failure(at: index, "'<' in the value of attribute '\(key)' (write &lt;)") }
            if byte == UInt8(ascii: "&") || byte < 0x20 { plain = false }
            index += 1
        }
        guard index < bytes.count else { throw failure(at: start, "the value of attribute '\(key)' is not closed") }
        let end = index
        index += 1
        if plain { return String(decoding: bytes[start..<end], as: UTF8.self) }
        // Attribute-value normalization (XML 1.0 §3.3.3): white space characters become spaces.
        var value: [UInt8] = []
        value.reserveCapacity(end - start)
        var position = start
        while position < end {
            let byte = bytes[position]
            if byte == UInt8(ascii: "&") {
                position = try reference(at: position, into: &value)
            } else {
                try checkCharacter(at: position)
                value.append(byte == 0x09 || byte == 0x0A || byte == 0x0D ? UInt8(ascii: " ") : byte)
                position += 1
            }
        }
        return String(decoding: value, as: UTF8.self)
    }

    // MARK: Character data

    private mutating func characterData() throws(XMLParseFailure) {
        var runStart = index
        let kept = open[open.count - 1].node != nil
        var significant = !open[open.count - 1].text.isEmpty
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "<") { break }
            if byte == UInt8(ascii: "&") {
                var decoded: [UInt8] = []
                let end = try reference(at: index, into: &decoded)
                if kept {
                    open[open.count - 1].text.append(contentsOf: bytes[runStart..<index])
                    open[open.count - 1].text.append(contentsOf: decoded)
                }
                index = end
                runStart = index
                significant = true
                continue
            }
            if byte > 0x20 {
                significant = true
            } else if !Self.isWhitespace(byte) {
                try checkCharacter(at: index)
            }
            index += 1
        }
        // Whitespace between elements is dropped at once; text is trimmed when its element ends anyway.
        if significant, kept { open[open.count - 1].text.append(contentsOf: bytes[runStart..<index]) }
    }

    private mutating func whitespaceOutsideRoot() throws(XMLParseFailure) {
        let start = index
        skipWhitespace()
        guard index == start, index < bytes.count else { return }
        throw failure(at: index, root == nil ? "text before the root element" : "text after the end of the root element")
    }

    /// Decodes the reference at `position` (`&name;` or `&#…;`) into `output`; returns where it ends.
    private func reference(at position: Int, into output: inout [UInt8]) throws(XMLParseFailure) -> Int {
        var end = position + 1
        while end < bytes.count, end - position <= 12, bytes[end] != UInt8(ascii: ";") { end += 1 }
        guard end < bytes.count, bytes[end] == UInt8(ascii: ";"), end > position + 1 else {
            throw failure(at: position, "'&' that does not start an entity reference (write &amp;)")
        }
        let name = bytes[(position + 1)..<end]
        switch String(decoding: name, as: UTF8.self) {
        case "lt": output.append(UInt8(ascii: "<"))
        case "gt": output.append(UInt8(ascii: ">"))
        case "amp": output.append(UInt8(ascii: "&"))
        case "quot": output.append(UInt8(ascii: "\""))
        case "apos": output.append(UInt8(ascii: "'"))
        case let reference where reference.hasPrefix("#"):
            let digits = reference.dropFirst()
            let value = digits.hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
            guard let value, Self.isCharacter(value), let scalar = Unicode.Scalar(value) else {
                throw failure(at: position, "&\(reference); is not a character XML allows")
            }
            output.append(contentsOf: String(Character(scalar)).utf8)
        case let reference:
            throw failure(at: position, "undefined entity &\(reference); (XML has &lt; &gt; &amp; &quot; &apos; and &#…;)")
        }
        return end + 1
    }

    // MARK: Scanning

    @discardableResult
    private mutating func skipWhitespace() -> Bool {
        let start = index
        while index < bytes.count, Self.isWhitespace(bytes[index]) { index += 1 }
        return index > start
    }

    /// Moves past the next `terminator` at or after `from`.
    private mutating func skip(past terminator: StaticString, from: Int, what: String) throws(XMLParseFailure) {
        let first = terminator.utf8Start[0]
        var position = from
        while position + terminator.utf8CodeUnitCount <= bytes.count {
            if bytes[position] == first, hasPrefix(terminator, at: position) {
                index = position + terminator.utf8CodeUnitCount
                return
            }
            position += 1
        }
        throw failure(at: from, "\(what) is not closed ('\(terminator)' missing)")
    }

    private func hasPrefix(_ prefix: StaticString, at position: Int) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[position + offset] != prefix.utf8Start[offset] { return false }
        return true
    }

    private func checkCharacter(at position: Int) throws(XMLParseFailure) {
        let byte = bytes[position]
        guard byte < 0x20, !Self.isWhitespace(byte) else { return }
        throw failure(at: position, "a control character (0x\(String(byte, radix: 16))) XML does not allow")
    }

    private func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

    /// The name without its namespace prefix.
    private func localName(_ range: Range<Int>) -> String {
        var start = range.lowerBound
        for position in range where bytes[position] == UInt8(ascii: ":") { start = position + 1 }
        return text(start..<range.upperBound)
    }

    /// The line of `offset`, which must not be before any offset asked for earlier.
    private mutating func line(at offset: Int) -> Int {
        while counted < offset {
            if bytes[counted] == 0x0A { line += 1 }
            counted += 1
        }
        return line
    }

    /// The failure at `offset`, with its line.
    private func failure(at offset: Int, _ message: String) -> XMLParseFailure {
        var newlines = 0
        for position in (offset < counted ? 0 : counted)..<offset where bytes[position] == 0x0A { newlines += 1 }
        return XMLParseFailure(line: (offset < counted ? 1 : line) + newlines, message: message)
    }
}

extension XMLReader {
    static func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D }

    static func startsName(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || byte >= 0x80
    }

    static func continuesName(_ byte: UInt8) -> Bool {
        startsName(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }

    /// XML 1.0 `Char`: the characters a document may hold.
    static func isCharacter(_ value: UInt32) -> Bool {
        value == 0x09 || value == 0x0A || value == 0x0D || (0x20...0xD7FF).contains(value) || (0xE000...0xFFFD).contains(value)
            || (0x1_0000...0x10_FFFF).contains(value)
    }

    /// The text without leading and trailing XML white space.
    static func trimmed(_ text: [UInt8]) -> String {
        guard let first = text.firstIndex(where: { !isWhitespace($0) }), let last = text.lastIndex(where: { !isWhitespace($0) }) else { return "" }
        return String(decoding: text[first...last], as: UTF8.self)
    }

    /// The offset of the first byte that is not part of well-formed UTF-8, or nil.
    static func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var position = 0
        while position < bytes.count {
            if bytes[position] < 0x80 {
                position += 1
                continue
            }
            var decoder = UTF8()
            var iterator = bytes[position...].makeIterator()
            guard case .scalarValue(let scalar) = decoder.decode(&iterator) else { return position }
            position += UTF8.width(scalar)
        }
        return nil
    }
}

/// Why a document is not well-formed XML, and on which line.
struct XMLParseFailure: Error {
    let line: Int
    let message: String
}
