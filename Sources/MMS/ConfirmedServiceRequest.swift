import BERCodec
import NIOCore

/// The confirmed services this server decodes. Anything else is `unsupported` and gets a reject.
public enum ConfirmedServiceRequest: Sendable, Equatable {
    case status(extendedDerivation: Bool)
    case getNameList(GetNameListRequest)
    case identify
    case read(specificationWithResult: Bool, VariableAccessSpecification)
    case write(VariableAccessSpecification, [MMSData])
    case getVariableAccessAttributes(ObjectName)
    case defineNamedVariableList(ObjectName, [VariableSpecification])
    case getNamedVariableListAttributes(ObjectName)
    case deleteNamedVariableList(DeleteNamedVariableListRequest)
    case readJournal(ReadJournalRequest)
    /// ObtainFile: the server fetches `source` from the client (with FileOpen, FileRead and FileClose
    /// sent to it) and stores it as `destination`.
    case obtainFile(source: String, destination: String)
    case fileOpen(FileOpenRequest)
    case fileRead(frsmID: Int32)
    case fileClose(frsmID: Int32)
    case fileDelete(String)
    case fileDirectory(FileDirectoryRequest)
    /// A service tag this server recognizes as valid MMS but does not implement.
    case unsupported(BERTag)

    /// The confirmed service number (the tag number of the request and of its response).
    public var serviceNumber: UInt32 {
        switch self {
        case .status: 0
        case .getNameList: 1
        case .identify: 2
        case .read: 4
        case .write: 5
        case .getVariableAccessAttributes: 6
        case .defineNamedVariableList: 11
        case .getNamedVariableListAttributes: 12
        case .deleteNamedVariableList: 13
        case .readJournal: 65
        case .obtainFile: 46
        case .fileOpen: 72
        case .fileRead: 73
        case .fileClose: 74
        case .fileDelete: 76
        case .fileDirectory: 77
        case .unsupported(let tag): tag.number
        }
    }

    /// Decodes the service element of a confirmed-RequestPDU.
    public static func decode(_ element: BERElement) throws(MMSDecodeError) -> ConfirmedServiceRequest {
        do {
            guard element.tag.tagClass == .contextSpecific else { throw MMSDecodeError.unknownService(element.tag) }
            switch (element.tag.number, element.tag.isConstructed) {
            case (0, false):
                return .status(extendedDerivation: element.content.readableBytes > 0 ? try element.booleanValue() : false)
            case (1, true):
                return .getNameList(try GetNameListRequest.decode(element))
            case (2, false):
                return .identify
            case (4, true):
                var reader = element.children
                var withResult = false
                if let flag = try reader.readOptional(.context(0)) { withResult = try flag.booleanValue() }
                let specification = try reader.readElement(.contextConstructed(1))
                var inner = specification.children
                return .read(specificationWithResult: withResult, try VariableAccessSpecification.decode(inner.readElement()))
            case (5, true):
                var reader = element.children
                let specification = try VariableAccessSpecification.decode(reader.readElement())
                var dataList = try reader.readElement(.contextConstructed(0)).children
                var data: [MMSData] = []
                while !dataList.isAtEnd { data.append(try MMSData.decode(dataList.readElement())) }
                return .write(specification, data)
            case (6, true):
                var reader = element.children
                let choice = try reader.readElement()
                guard choice.tag == .contextConstructed(0) else {
                    throw MMSDecodeError.invalidArgument("getVariableAccessAttributes by address is not served")
                }
                var inner = choice.children
                return .getVariableAccessAttributes(try ObjectName.decode(inner.readElement()))
            case (11, true):
                var reader = element.children
                let name = try ObjectName.decode(reader.readElement())
                guard
                    case .listOfVariable(let variables) = try VariableAccessSpecification.decode(
                        BERElement(tag: .contextConstructed(0), content: reader.readElement(.contextConstructed(0)).content))
                else { throw MMSDecodeError.invalidArgument("list of variables") }
                return .defineNamedVariableList(name, variables)
            case (12, true):
                var reader = element.children
                return .getNamedVariableListAttributes(try ObjectName.decode(reader.readElement()))
            case (13, true):
                return .deleteNamedVariableList(try DeleteNamedVariableListRequest.decode(element))
            case (65, true):
                return .readJournal(try ReadJournalRequest.decode(element))
            case (46, true):
                var reader = element.children
                _ = try reader.readOptional(.contextConstructed(0))  // sourceFileServer: this association's peer
                var source = try reader.readElement(.contextConstructed(1)).children
                var destination = try reader.readElement(.contextConstructed(2)).children
                return .obtainFile(source: try FileName.decode(&source), destination: try FileName.decode(&destination))
            case (72, true):
                return .fileOpen(try FileOpenRequest.decode(element))
            case (73, false):
                return .fileRead(frsmID: try frsmID(element))
            case (74, false):
                return .fileClose(frsmID: try frsmID(element))
            case (76, true):
                var names = element.children
                return .fileDelete(try FileName.decode(&names))
            case (77, true):
                return .fileDirectory(try FileDirectoryRequest.decode(element))
            case (0...88, _):
                return .unsupported(element.tag)
            default:
                throw MMSDecodeError.unknownService(element.tag)
            }
        } catch let error as MMSDecodeError {
            throw error
        } catch let error as BERError {
            throw .ber(error)
        } catch {
            throw .invalidArgument("\(error)")
        }
    }
}

extension ConfirmedServiceRequest {
    /// The Integer32 file read state machine identifier of FileRead and FileClose.
    fileprivate static func frsmID(_ element: BERElement) throws -> Int32 {
        let value = try element.integerValue()
        guard let identifier = Int32(exactly: value) else { throw MMSDecodeError.invalidArgument("frsmID \(value)") }
        return identifier
    }
}

/// GetNameList-Request: object class, scope and the name to continue after.
public struct GetNameListRequest: Sendable, Equatable {
    public enum ObjectClass: Int64, Sendable {
        case namedVariable = 0
        case scatteredAccess = 1
        case namedVariableList = 2
        case namedType = 3
        case semaphore = 4
        case eventCondition = 5
        case eventAction = 6
        case eventEnrollment = 7
        case journal = 8
        case domain = 9
        case programInvocation = 10
        case operatorStation = 11
    }

    public enum Scope: Sendable, Equatable {
        case vmd
        case domain(String)
        case association
    }

    public var objectClass: ObjectClass
    public var scope: Scope
    public var continueAfter: String?

    public init(objectClass: ObjectClass, scope: Scope, continueAfter: String? = nil) {
        self.objectClass = objectClass
        self.scope = scope
        self.continueAfter = continueAfter
    }

    static func decode(_ element: BERElement) throws -> GetNameListRequest {
        var reader = element.children
        var classReader = try reader.readElement(.contextConstructed(0)).children
        let classElement = try classReader.readElement()
        guard classElement.tag == .context(0), let objectClass = ObjectClass(rawValue: try classElement.integerValue()) else {
            throw MMSDecodeError.invalidArgument("object class")
        }
        var scopeReader = try reader.readElement(.contextConstructed(1)).children
        let scopeElement = try scopeReader.readElement()
        let scope: Scope
        switch scopeElement.tag {
        case .context(0): scope = .vmd
        case .context(1): scope = .domain(scopeElement.stringValue)
        case .context(2): scope = .association
        default: throw MMSDecodeError.invalidArgument("object scope \(scopeElement.tag)")
        }
        let continueAfter = try reader.readOptional(.context(2))?.stringValue
        return GetNameListRequest(objectClass: objectClass, scope: scope, continueAfter: continueAfter)
    }
}

/// DeleteNamedVariableList-Request.
public struct DeleteNamedVariableListRequest: Sendable, Equatable {
    public enum Scope: Int64, Sendable {
        case specific = 0
        case aaSpecific = 1
        case domain = 2
        case vmd = 3
    }

    public var scope: Scope
    public var names: [ObjectName]
    public var domainName: String?

    public init(scope: Scope, names: [ObjectName], domainName: String?) {
        self.scope = scope
        self.names = names
        self.domainName = domainName
    }

    static func decode(_ element: BERElement) throws -> DeleteNamedVariableListRequest {
        var reader = element.children
        var scope = Scope.specific
        var names: [ObjectName] = []
        var domain: String?
        while !reader.isAtEnd {
            let field = try reader.readElement()
            switch field.tag {
            case .context(0):
                guard let value = Scope(rawValue: try field.integerValue()) else { throw MMSDecodeError.invalidArgument("scope of delete") }
                scope = value
            case .contextConstructed(1):
                var list = field.children
                while !list.isAtEnd { names.append(try ObjectName.decode(list.readElement())) }
            case .context(2): domain = field.stringValue
            default: continue
            }
        }
        return DeleteNamedVariableListRequest(scope: scope, names: names, domainName: domain)
    }
}
