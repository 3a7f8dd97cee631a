import IEC61850Model
import IEC61850Services
import MMSMapping

/// A data set the server holds: from the SCL, or created by a client for a logical device.
public struct DataSetInfo: Sendable, Equatable {
    /// `DEMOGenericIO/LLN0.Events`.
    public let reference: String
    /// The members, each a reference with its functional constraint: `DEMOGenericIO/GGIO1.Ind1.stVal[ST]`.
    public let members: [String]
    /// False for the SCL's data sets.
    public let isDeletable: Bool
}

/// The current value of one data set member: its basic attributes' values, in model order.
public struct DataSetMemberValue: Sendable, Equatable {
    /// `DEMOGenericIO/GGIO1.Ind1[ST]`.
    public let member: String
    public let values: [DataValue]
}

extension IedServer {
    /// Every persistent data set (SCL and client-created), ordered by reference. Association-specific sets
    /// (`@name`) belong to their association and are not listed.
    public func dataSets() -> [DataSetInfo] {
        backend.dataSets.all()
            .map { domain, item, entry in
                DataSetInfo(
                    reference: "\(domain)/\(item.replacingOccurrences(of: "$", with: "."))",
                    members: entry.members.map(\.reference), isDeletable: entry.deletable)
            }
            .sorted { MMSNamespace.mmsOrder($0.reference, $1.reference) }
    }

    /// The current values of a data set's members, read at one instant.
    ///
    /// - Parameter reference: `LD/LN.name`, the LD as its full name (`DEMOGenericIO`) or its instance (`GenericIO`).
    public func dataSetValues(_ reference: String) throws(ServerError) -> [DataSetMemberValue] {
        guard let slash = reference.firstIndex(of: "/"), let dot = reference.lastIndex(of: "."), slash < dot else {
            throw .unknownReference(reference)
        }
        let device = String(reference[..<slash])
        let domain = model.logicalDevice(named: device[...])?.name(iedName: model.name) ?? device
        let item = reference[reference.index(after: slash)..<dot] + "$" + reference[reference.index(after: dot)...]
        guard let entry = backend.dataSets.entry(domain: domain, item: String(item)) else { throw .unknownReference(reference) }
        return backend.store.withValues { values in
            entry.members.map { member in
                DataSetMemberValue(member: member.reference, values: member.slots.map { values[$0] })
            }
        }
    }
}
