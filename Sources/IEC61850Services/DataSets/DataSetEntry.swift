import IEC61850Model

/// A data set as the services hold it: its members resolved once, at definition, to the value slots of
/// their basic attributes.
package final class DataSetEntry: Sendable {
    /// One member: what it is in IEC 61850 terms, where its values live, and what the protocol mapping
    /// resolved it to.
    package struct Member: Sendable {
        /// The member as an IEC 61850 reference with its functional constraint: `DEMOGenericIO/GGIO1.Ind1.stVal[ST]`.
        package let reference: String
        /// The value slots of its basic attributes, in model order.
        package let slots: [Int]
        /// What the protocol mapping resolved the member to (for MMS: the name a client gave and the
        /// variable); the services never look inside.
        package let binding: any DataSetMemberBinding

        package init(reference: String, slots: [Int], binding: any DataSetMemberBinding) {
            self.reference = reference
            self.slots = slots
            self.binding = binding
        }
    }

    package let members: [Member]
    /// SCL data sets are not deletable; client-created ones are.
    package let deletable: Bool

    package init(members: [Member], deletable: Bool) {
        self.members = members
        self.deletable = deletable
    }
}

/// What a protocol mapping keeps of a data set member (a class, so that the mapping reads it back with a
/// cheap cast on every report).
package protocol DataSetMemberBinding: AnyObject, Sendable {}

/// Where a data set lives: a domain (persistent, `LD/LN$name`) or one association (`@name`).
package enum DataSetName: Sendable, Hashable {
    case domain(String, item: String)
    case association(String)

    /// The DatSet string form (`DEMOGenericIO/LLN0$Events`, `@name`), as control blocks carry it.
    package var reference: String {
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
