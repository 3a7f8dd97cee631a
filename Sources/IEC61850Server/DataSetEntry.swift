import IEC61850Model
import MMS

/// A data set as the server serves it: its members resolved to variables once, at definition.
final class DataSetEntry: Sendable {
    /// One member: the name a client gave (domain, item with FC, optional alternate access) and what it resolves to.
    struct Member: Sendable {
        let specification: VariableSpecification
        let variable: MMSVariable
    }

    let members: [Member]
    /// SCL data sets are not deletable; client-created ones are.
    let deletable: Bool

    init(members: [Member], deletable: Bool) {
        self.members = members
        self.deletable = deletable
    }

    /// A member in IEC 61850 form: `DEMOGenericIO/GGIO1.Ind1.stVal[ST]`.
    static func reference(of specification: VariableSpecification) -> String {
        guard case .domainSpecific(let domain, let item) = specification.name else { return "\(specification.name)" }
        let parts = item.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return "\(domain)/\(item)" }
        let path = ([parts[0]] + parts.dropFirst(2)).joined(separator: ".")
        return "\(domain)/\(path)[\(parts[1])]"
    }
}

/// Where a data set lives: a domain (persistent, `LD/LN$name`) or one association (`@name`).
enum DataSetName: Sendable, Hashable {
    case domain(String, item: String)
    case association(String)

    /// The DatSet string form (`DEMOGenericIO/LLN0$Events`, `@name`), as control blocks carry it.
    var reference: String {
        switch self {
        case .domain(let domain, let item): "\(domain)/\(item)"
        case .association(let name): "@\(name)"
        }
    }
}

/// The limits on client-created data sets (libIEC61850's defaults).
public struct DataSetLimits: Sendable, Equatable {
    /// Client-created persistent data sets per logical device.
    public var perLogicalDevice: Int = 10
    /// Association-specific data sets per association.
    public var perAssociation: Int = 10
    /// Members of one client-created data set.
    public var members: Int = 50

    public init() {}
}
