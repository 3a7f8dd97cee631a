import BERCodec
import NIOCore

/// One step of an alternate access: a component, an array index or range, or all elements,
/// possibly followed by nested steps (selectAlternateAccess).
public indirect enum AlternateAccessSelection: Sendable, Equatable {
    case component(String, then: [AlternateAccessSelection])
    case index(Int, then: [AlternateAccessSelection])
    case indexRange(low: Int, count: Int, then: [AlternateAccessSelection])
    case allElements(then: [AlternateAccessSelection])

    /// Decodes an AlternateAccess (`A5` content: SEQUENCE OF unnamed/named selections).
    public static func decodeList(_ element: BERElement, depth: Int = 0) throws(MMSDecodeError) -> [AlternateAccessSelection] {
        guard depth < MMSData.maximumDecodeDepth else { throw .nestingTooDeep }
        do {
            var reader = element.children
            var selections: [AlternateAccessSelection] = []
            while !reader.isAtEnd {
                var item = try reader.readElement()
                if item.tag == .contextConstructed(5) {  // named: componentName then selection
                    var named = item.children
                    _ = try named.readElement(.context(0))
                    item = try named.readElement()
                }
                selections.append(try decodeSelection(item, depth: depth))
            }
            return selections
        } catch let error as MMSDecodeError {
            throw error
        } catch let error as BERError {
            throw .ber(error)
        } catch {
            throw .invalidArgument("\(error)")
        }
    }

    private static func decodeSelection(_ item: BERElement, depth: Int) throws -> AlternateAccessSelection {
        switch item.tag {
        case .context(1): return .component(item.stringValue, then: [])
        case .context(2): return .index(try index(item), then: [])
        case .contextConstructed(3):
            var range = item.children
            let low = try index(range.readElement(.context(0)))
            let count = try index(range.readElement(.context(1)))
            return .indexRange(low: low, count: count, then: [])
        case .context(4): return .allElements(then: [])
        case .contextConstructed(0):
            var nested = item.children
            let access = try nested.readElement()
            var rest: [AlternateAccessSelection] = []
            while !nested.isAtEnd {
                let list = try nested.readElement()
                rest.append(contentsOf: try decodeList(list, depth: depth + 1))
            }
            switch access.tag {
            case .context(0): return .component(access.stringValue, then: rest)
            case .context(1): return .index(try index(access), then: rest)
            case .contextConstructed(2):
                var range = access.children
                let low = try index(range.readElement(.context(0)))
                let count = try index(range.readElement(.context(1)))
                return .indexRange(low: low, count: count, then: rest)
            case .context(3): return .allElements(then: rest)
            default: throw MMSDecodeError.invalidArgument("alternate access selection \(access.tag)")
            }
        default:
            throw MMSDecodeError.invalidArgument("alternate access \(item.tag)")
        }
    }

    private static func index(_ element: BERElement) throws -> Int {
        let value = try element.unsignedValue()
        guard value < UInt64(Int32.max) else { throw MMSDecodeError.invalidArgument("index \(value)") }
        return Int(value)
    }

    /// Writes this selection as an element of an AlternateAccess (the content of `A5`).
    public func encode(into buffer: inout ByteBuffer) {
        switch self {
        case .component(let name, let rest) where rest.isEmpty: buffer.writeBERString(.context(1), name)
        case .index(let index, let rest) where rest.isEmpty: buffer.writeBERUnsigned(.context(2), UInt64(index))
        case .indexRange(let low, let count, let rest) where rest.isEmpty:
            buffer.writeBERElement(.contextConstructed(3)) {
                $0.writeBERUnsigned(.context(0), UInt64(low))
                $0.writeBERUnsigned(.context(1), UInt64(count))
            }
        case .allElements(let rest) where rest.isEmpty: buffer.writeBytes([0x84, 0x00])
        case .component(let name, let rest):
            writeNested(rest, into: &buffer) { $0.writeBERString(.context(0), name) }
        case .index(let index, let rest):
            writeNested(rest, into: &buffer) { $0.writeBERUnsigned(.context(1), UInt64(index)) }
        case .indexRange(let low, let count, let rest):
            writeNested(rest, into: &buffer) {
                $0.writeBERElement(.contextConstructed(2)) {
                    $0.writeBERUnsigned(.context(0), UInt64(low))
                    $0.writeBERUnsigned(.context(1), UInt64(count))
                }
            }
        case .allElements(let rest):
            writeNested(rest, into: &buffer) { $0.writeBytes([0x83, 0x00]) }
        }
    }

    /// selectAlternateAccess: `A0 { access, 30 { the rest } }`.
    private func writeNested(_ rest: [AlternateAccessSelection], into buffer: inout ByteBuffer, _ access: (inout ByteBuffer) -> Void) {
        buffer.writeBERElement(.contextConstructed(0)) { nested in
            access(&nested)
            nested.writeBERElement(.sequence) { list in
                for selection in rest { selection.encode(into: &list) }
            }
        }
    }
}
