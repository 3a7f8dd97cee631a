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
}
