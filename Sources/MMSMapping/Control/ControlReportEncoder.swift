import BERCodec
import IEC61850Services
import MMS
import NIOCore

/// The unconfirmed PDUs of the control model (PROTOCOL.md §6): LastApplError before a refusal, and
/// CommandTermination after an enhanced-security execution.
package enum ControlReportEncoder {
    /// The LastApplError structure's values.
    package struct LastApplError: Sendable {
        /// `DEMOGenericIO/GGIO1$CO$SPCSO1$Oper`.
        package let controlObject: String
        /// 0 no-error (refusals, as libIEC61850 sends), 1 unknown (failed execution), 2 timeout-test-not-ok.
        package let error: Int64
        package let originCategory: Int64
        package let originIdentifier: [UInt8]
        package let controlNumber: UInt8
        package let cause: AddCause

        package init(controlObject: String, error: Int64, originCategory: Int64, originIdentifier: [UInt8], controlNumber: UInt8, cause: AddCause) {
            self.controlObject = controlObject
            self.error = error
            self.originCategory = originCategory
            self.originIdentifier = originIdentifier
            self.controlNumber = controlNumber
            self.cause = cause
        }
    }

    /// `A3 { A0 { A0 { 30 { A0 { 80 "LastApplError" } } } A0 { structure } } }`.
    package static func lastApplError(_ error: LastApplError) -> ByteBuffer {
        informationReport(variables: { list in writeLastApplErrorName(into: &list) }, results: { results in write(error, into: &results) })
    }

    /// Positive: the Oper as received; negative: LastApplError and the Oper in one report.
    package static func commandTermination(domain: String, item: String, operate: MMSData, error: LastApplError?) -> ByteBuffer {
        informationReport(
            variables: { list in
                if error != nil { writeLastApplErrorName(into: &list) }
                list.writeBERElement(.sequence) { entry in
                    entry.writeBERElement(.contextConstructed(0)) { ObjectName.domainSpecific(domain: domain, item: item).encode(into: &$0) }
                }
            },
            results: { results in
                if let error { write(error, into: &results) }
                operate.encode(into: &results)
            })
    }

    private static func informationReport(variables: (inout ByteBuffer) -> Void, results: (inout ByteBuffer) -> Void) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeBERElement(.contextConstructed(3)) { unconfirmed in
            unconfirmed.writeBERElement(.contextConstructed(0)) { report in
                report.writeBERElement(.contextConstructed(0)) { variables(&$0) }  // listOfVariable
                report.writeBERElement(.contextConstructed(0)) { results(&$0) }  // listOfAccessResult
            }
        }
        return buffer
    }

    private static func writeLastApplErrorName(into list: inout ByteBuffer) {
        list.writeBERElement(.sequence) { entry in
            entry.writeBERElement(.contextConstructed(0)) { ObjectName.vmdSpecific("LastApplError").encode(into: &$0) }
        }
    }

    private static func write(_ error: LastApplError, into buffer: inout ByteBuffer) {
        buffer.writeBERElement(.contextConstructed(2)) { structure in
            structure.writeBERString(.context(10), error.controlObject)
            structure.writeBERInteger(.context(5), error.error)
            structure.writeBERElement(.contextConstructed(2)) { origin in
                origin.writeBERInteger(.context(5), error.originCategory)
                origin.writeBERPrimitive(.context(9), bytes: error.originIdentifier)
            }
            structure.writeBERUnsigned(.context(6), UInt64(error.controlNumber))
            structure.writeBERInteger(.context(5), error.cause.rawValue)
        }
    }
}
