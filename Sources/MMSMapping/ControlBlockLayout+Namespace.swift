import IEC61850Model
import IEC61850Services

extension ReportControlLayout {

    /// The control blocks of one LN for one FC (RP or BR), in MMS name order.
    package func structures(domain: String, logicalNode: String, fc: FunctionalConstraint) -> [ControlBlockStructure] {
        blocks.filter { $0.domain == domain && $0.logicalNode == logicalNode && ($0.buffered ? FunctionalConstraint.br : .rp) == fc }
            .map(\.structure)
            .sorted { MMSNamespace.mmsOrder($0.name, $1.name) }
    }
}

extension LogControlLayout {

    /// The log control blocks of one LN, in MMS name order.
    package func structures(domain: String, logicalNode: String) -> [ControlBlockStructure] {
        blocks.filter { $0.domain == domain && $0.logicalNode == logicalNode }.map(\.structure).sorted { MMSNamespace.mmsOrder($0.name, $1.name) }
    }
}
