import BERCodec
import IEC61850Model
import IEC61850Services
import MMS
import NIOCore

/// Data sets as MMS named variable lists (PROTOCOL.md §8): define, attributes, delete, and resolution for
/// reads and writes by list name.
extension MMSServiceBackend {
    /// The data set a list name names: a domain's (SCL or client-created) or this association's.
    package func dataSetEntry(_ name: ObjectName, session: SessionContext) -> DataSetEntry? {
        switch name {
        case .domainSpecific(let domain, let item): dataSets.entry(domain: domain, item: item)
        case .aaSpecific(let set): session.dataSets.sets[set]
        case .vmdSpecific: nil
        }
    }

    package func defineNamedVariableList(
        _ name: ObjectName, members specifications: [VariableSpecification], invokeID: UInt32, session: SessionContext, into buffer: inout ByteBuffer
    ) {
        do throws(ServiceError) {
            guard permitted(.createDataSet, "\(name)", session: session) else { throw .objectAccessDenied }
            let limits = settings.dataSetLimits
            guard !specifications.isEmpty else { throw ServiceError(.definition, 6) }  // object-attribute-inconsistent
            guard specifications.count <= limits.members else { throw .capabilityUnavailable }
            var members: [DataSetEntry.Member] = []
            members.reserveCapacity(specifications.count)
            for specification in specifications {
                guard case .variable(let variable)? = resolve(specification.name).flatMap({ select($0, specification.alternateAccess) }),
                    variable.fc != nil
                else { throw .objectNonExistent }
                members.append(DataSetEntry.Member(specification: specification, variable: variable))
            }
            let entry = DataSetEntry(members: members, deletable: true)
            switch name {
            case .domainSpecific(let domain, let item):
                // The item is `LN$name`, and the LN must exist in the domain.
                let parts = item.split(separator: "$", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[1].isEmpty, parts[1].utf8.count <= 32,
                    let node = namespace.variable(domain: domain, item: String(parts[0])), node.fc == nil
                else { throw .objectNonExistent }
                do throws(DataSetRefusal) { try dataSets.define(domain: domain, item: item, entry: entry) } catch { throw error.serviceError }
            case .aaSpecific(let set):
                guard !set.isEmpty, set.utf8.count <= 32 else { throw .objectNonExistent }
                do throws(DataSetRefusal) { try session.dataSets.define(set, entry: entry) } catch { throw error.serviceError }
            case .vmdSpecific:
                throw ServiceError(.access, 1)  // object-access-unsupported: no VMD-specific lists here
            }
            MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &buffer) { $0.writeBytes([0x8B, 0x00]) }
        } catch {
            MMSResponseEncoder.writeConfirmedError(invokeID: invokeID, error: error, into: &buffer)
        }
    }

    package func getNamedVariableListAttributes(_ name: ObjectName, invokeID: UInt32, session: SessionContext, into buffer: inout ByteBuffer) {
        guard let entry = dataSetEntry(name, session: session) else {
            MMSResponseEncoder.writeConfirmedError(invokeID: invokeID, error: .objectNonExistent, into: &buffer)
            return
        }
        MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &buffer) { body in
            body.writeBERElement(.contextConstructed(12)) { response in
                response.writeBERBoolean(.context(0), entry.deletable)
                response.writeBERElement(.contextConstructed(1)) { list in
                    for member in entry.members {
                        list.writeBERElement(.sequence) { item in
                            item.writeBERElement(.contextConstructed(0)) { member.specification.name.encode(into: &$0) }
                            member.specification.encodeAlternateAccess(into: &item)
                        }
                    }
                }
            }
        }
    }

    package func deleteNamedVariableList(_ request: DeleteNamedVariableListRequest, invokeID: UInt32, session: SessionContext, into buffer: inout ByteBuffer) {
        guard permitted(.deleteDataSet, request.names.map { "\($0)" }.joined(separator: ", "), session: session) else {
            MMSResponseEncoder.writeConfirmedError(invokeID: invokeID, error: .objectAccessDenied, into: &buffer)
            return
        }
        var matched: Int64 = 0
        var deleted: Int64 = 0
        var referenced = false
        func deleteDomainSet(_ domain: String, _ item: String) {
            switch dataSets.delete(domain: domain, item: item) {
            case .notFound: return
            case .notDeletable: matched += 1
            case .referenced:
                matched += 1
                referenced = true
            case .deleted:
                matched += 1
                deleted += 1
            }
        }
        func deleteAssociationSet(_ name: String) {
            guard session.dataSets.sets[name] != nil else { return }
            matched += 1
            if dataSets.references.withLock({ $0 }).isReferenced(.association(name)) {
                referenced = true
            } else {
                session.dataSets.remove(name)
                deleted += 1
            }
        }
        switch request.scope {
        case .specific:
            for name in request.names {
                switch name {
                case .domainSpecific(let domain, let item): deleteDomainSet(domain, item)
                case .aaSpecific(let set): deleteAssociationSet(set)
                case .vmdSpecific: continue
                }
            }
        case .aaSpecific:
            for name in session.dataSets.names.sorted(by: MMSNamespace.mmsOrder) { deleteAssociationSet(name) }
        case .domain:
            guard let domain = request.domainName else { break }
            for item in dataSets.names(domain: domain).sorted(by: MMSNamespace.mmsOrder) { deleteDomainSet(domain, item) }
        case .vmd:
            break
        }
        if referenced {
            // A control block uses one of the sets: service / object-constraint-conflict, with the number deleted.
            MMSResponseEncoder.writeConfirmedError(
                invokeID: invokeID, error: ServiceError(.service, 5, deleteNamedVariableListCount: deleted), into: &buffer)
            return
        }
        MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &buffer) { body in
            body.writeBERElement(.contextConstructed(13)) { response in
                response.writeBERUnsigned(.context(0), UInt64(matched))
                response.writeBERUnsigned(.context(1), UInt64(deleted))
            }
        }
    }
}

extension VariableSpecification {
    /// Writes the alternate access of a list member, if it has one (element `A5`).
    package func encodeAlternateAccess(into buffer: inout ByteBuffer) {
        guard !alternateAccess.isEmpty else { return }
        buffer.writeBERElement(.contextConstructed(5)) { list in
            for selection in alternateAccess { selection.encode(into: &list) }
        }
    }
}
