import BERCodec
import NIOCore

/// One named variable and an optional alternate access.
public struct VariableSpecification: Sendable, Equatable {
    public var name: ObjectName
    public var alternateAccess: [AlternateAccessSelection]

    public init(name: ObjectName, alternateAccess: [AlternateAccessSelection] = []) {
        self.name = name
        self.alternateAccess = alternateAccess
    }
}

/// What a read or write addresses: a list of variables, or a named variable list (a data set).
public enum VariableAccessSpecification: Sendable, Equatable {
    case listOfVariable([VariableSpecification])
    case variableListName(ObjectName)

    /// Decodes the CHOICE element (`A0` list or `A1` list name).
    public static func decode(_ element: BERElement) throws(MMSDecodeError) -> VariableAccessSpecification {
        do {
            switch element.tag {
            case .contextConstructed(0):
                var list = element.children
                var variables: [VariableSpecification] = []
                while !list.isAtEnd {
                    var entry = try list.readElement(.sequence).children
                    let specification = try entry.readElement()
                    guard specification.tag == .contextConstructed(0) else {
                        throw MMSDecodeError.invalidArgument("variable specification \(specification.tag) (only names are served)")
                    }
                    var nameReader = specification.children
                    let name = try ObjectName.decode(nameReader.readElement())
                    var access: [AlternateAccessSelection] = []
                    if let alternate = try entry.readOptional(.contextConstructed(5)) {
                        access = try AlternateAccessSelection.decodeList(alternate)
                    }
                    variables.append(VariableSpecification(name: name, alternateAccess: access))
                }
                return .listOfVariable(variables)
            case .contextConstructed(1):
                var inner = element.children
                return .variableListName(try ObjectName.decode(inner.readElement()))
            default:
                throw MMSDecodeError.invalidArgument("variable access specification \(element.tag)")
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
        case .listOfVariable(let variables):
            buffer.writeBERElement(.contextConstructed(0)) { list in
                for variable in variables {
                    list.writeBERElement(.sequence) { entry in
                        entry.writeBERElement(.contextConstructed(0)) { variable.name.encode(into: &$0) }
                    }
                }
            }
        case .variableListName(let name):
            buffer.writeBERElement(.contextConstructed(1)) { name.encode(into: &$0) }
        }
    }
}
