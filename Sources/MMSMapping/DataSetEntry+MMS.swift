import IEC61850Model
import IEC61850Services
import MMS

/// What the MMS mapping keeps of a data set member: the name a client gave it (domain, item with FC,
/// optional alternate access) and the variable it resolves to.
package final class MMSMemberBinding: DataSetMemberBinding {
    package let specification: VariableSpecification
    package let variable: MMSVariable

    package init(specification: VariableSpecification, variable: MMSVariable) {
        self.specification = specification
        self.variable = variable
    }
}

extension DataSetEntry.Member {
    /// A member the MMS mapping resolved: its IEC 61850 reference and slots, from the name and the variable.
    package init(specification: VariableSpecification, variable: MMSVariable) {
        var slots: [Int] = []
        variable.forEachLeaf { _, _, slot in slots.append(slot) }
        self.init(
            reference: DataSetEntry.reference(of: specification), slots: slots,
            binding: MMSMemberBinding(specification: specification, variable: variable))
    }

    /// Every member is made by the MMS mapping (from the SCL or a client's definition), so its binding is ours.
    private var mms: MMSMemberBinding { unsafeDowncast(binding, to: MMSMemberBinding.self) }
    package var specification: VariableSpecification { mms.specification }
    package var variable: MMSVariable { mms.variable }
}

extension DataSetEntry {
    /// A member in IEC 61850 form: `DEMOGenericIO/GGIO1.Ind1.stVal[ST]`.
    package static func reference(of specification: VariableSpecification) -> String {
        guard case .domainSpecific(let domain, let item) = specification.name else { return "\(specification.name)" }
        let parts = item.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return "\(domain)/\(item)" }
        let path = ([parts[0]] + parts.dropFirst(2)).joined(separator: ".")
        return "\(domain)/\(path)[\(parts[1])]"
    }
}

extension DataSetEntry {
    /// The MMS domain and item of a member reference (`DEMOGenericIO/GGIO1.Ind1.stVal[ST]` →
    /// `DEMOGenericIO`, `GGIO1$ST$Ind1$stVal`); nil when it is not of that form.
    package static func mmsName(ofReference reference: String) -> (domain: String, item: String)? {
        guard let slash = reference.firstIndex(of: "/"), reference.last == "]", let open = reference.lastIndex(of: "["), slash < open else { return nil }
        let fc = reference[reference.index(after: open)..<reference.index(before: reference.endIndex)]
        let path = reference[reference.index(after: slash)..<open].split(separator: ".", omittingEmptySubsequences: false)
        guard !fc.isEmpty, let node = path.first, !node.isEmpty else { return nil }
        return (String(reference[..<slash]), ([node, fc] + path.dropFirst()).joined(separator: "$"))
    }
}

extension DataSetRefusal {
    /// The MMS service error of a refused definition.
    package var serviceError: ServiceError {
        switch self {
        case .exists: .objectExists
        case .full: .capabilityUnavailable
        }
    }
}

extension ControlBlockRefusal {
    /// The DataAccessError a client reads for a refused control block write.
    package var dataAccessError: DataAccessError {
        switch self {
        case .nonExistent: .objectNonExistent
        case .temporarilyUnavailable: .temporarilyUnavailable
        case .accessDenied: .objectAccessDenied
        case .valueInvalid: .objectValueInvalid
        case .inconsistent: .objectAttributeInconsistent
        case .typeInconsistent: .typeInconsistent
        }
    }
}
