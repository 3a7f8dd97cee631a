import BERCodec
import NIOCore

/// An MMS ObjectName: VMD-specific, domain-specific or association-specific.
public enum ObjectName: Sendable, Hashable, CustomStringConvertible {
    case vmdSpecific(String)
    case domainSpecific(domain: String, item: String)
    case aaSpecific(String)

    /// Decodes the ObjectName CHOICE element (`80`, `A1` or `82`).
    public static func decode(_ element: BERElement) throws(MMSDecodeError) -> ObjectName {
        do {
            switch element.tag {
            case .context(0): return .vmdSpecific(element.stringValue)
            case .contextConstructed(1):
                var parts = element.children
                let domain = try parts.readElement(.visibleString).stringValue
                let item = try parts.readElement(.visibleString).stringValue
                return .domainSpecific(domain: domain, item: item)
            case .context(2): return .aaSpecific(element.stringValue)
            default: throw MMSDecodeError.invalidArgument("object name tag \(element.tag)")
            }
        } catch let error as MMSDecodeError {
            throw error
        } catch let error as BERError {
            throw .ber(error)
        } catch {
            throw .invalidArgument("\(error)")
        }
    }

    public func encode(into buffer: inout ByteBuffer) {
        switch self {
        case .vmdSpecific(let name): buffer.writeBERString(.context(0), name)
        case .domainSpecific(let domain, let item):
            buffer.writeBERElement(.contextConstructed(1)) {
                $0.writeBERString(.visibleString, domain)
                $0.writeBERString(.visibleString, item)
            }
        case .aaSpecific(let name): buffer.writeBERString(.context(2), name)
        }
    }

    /// The name in MMS reference form, as reports and journals carry it: `DEMOGenericIO/GGIO1$ST$Ind1`.
    public var text: String {
        switch self {
        case .domainSpecific(let domain, let item): "\(domain)/\(item)"
        case .aaSpecific(let item), .vmdSpecific(let item): item
        }
    }

    public var description: String {
        switch self {
        case .vmdSpecific(let name): "/\(name)"
        case .domainSpecific(let domain, let item): "\(domain)/\(item)"
        case .aaSpecific(let name): "@\(name)"
        }
    }
}
