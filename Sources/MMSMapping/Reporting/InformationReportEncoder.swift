import BERCodec
import IEC61850Model
import IEC61850Services
import MMS
import NIOCore

/// Encodes a report as MMS InformationReport PDUs (PROTOCOL.md §5.3): one PDU, or segments with
/// SubSeqNum and MoreSegmentsFollow when it would exceed the association's PDU size.
package enum InformationReportEncoder {
    /// One included member, encoded once, placed in whichever segment carries it.
    private struct Part {
        package let member: Int
        package let reference: ByteBuffer?
        package let value: ByteBuffer
        package let reason: ReportTrigger
        package var size: Int { (reference?.readableBytes ?? 0) + value.readableBytes + 4 }
    }

    /// The report's PDUs (each a complete MMS unconfirmed PDU).
    package static func encode(_ report: OutgoingReport, maximumPDUSize: Int, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> [ByteBuffer] {
        var content = report.content
        if content.entryID == nil { content.options.subtract([.bufferOverflow, .entryID]) }  // a URCB sends neither
        content.options.remove(.segmentation)
        let parts = content.members.map { included in
            let member = report.dataSet.members[included.member]
            var value = allocator.buffer(capacity: 16)
            var index = 0
            encode(member.variable, values: included.values, index: &index, into: &value)
            var reference: ByteBuffer?
            if content.options.contains(.dataReference) {
                var buffer = allocator.buffer(capacity: 48)
                buffer.writeBERString(.context(10), member.specification.name.text)
                reference = buffer
            }
            return Part(member: included.member, reference: reference, value: value, reason: included.reason)
        }
        var whole = allocator.buffer(capacity: 256)
        writePDU(content, parts[...], segment: nil, into: &whole)
        guard whole.readableBytes > maximumPDUSize, parts.count > 1 else { return [whole] }

        // Segment: what one PDU costs without members, with room for the segment fields and longer lengths.
        var empty = allocator.buffer(capacity: 128)
        content.options.insert(.segmentation)
        writePDU(content, parts[0..<0], segment: (0, true), into: &empty)
        let budget = maximumPDUSize - empty.readableBytes - 12
        var segments: [ByteBuffer] = []
        var start = 0
        while start < parts.count {
            var end = start
            var used = 0
            while end < parts.count && (end == start || used + parts[end].size <= budget) {
                used += parts[end].size
                end += 1
            }
            var pdu = allocator.buffer(capacity: used + empty.readableBytes + 16)
            writePDU(content, parts[start..<end], segment: (segments.count, end < parts.count), into: &pdu)
            segments.append(pdu)
            start = end
        }
        return segments
    }

    /// `A3 { A0 { A1 { 80 "RPT" } A0 { … } } }`.
    private static func writePDU(_ content: ReportContent, _ parts: ArraySlice<Part>, segment: (number: Int, more: Bool)?, into buffer: inout ByteBuffer) {
        let options = content.options
        buffer.writeBERElement(.contextConstructed(3)) { unconfirmed in
            unconfirmed.writeBERElement(.contextConstructed(0)) { report in
                report.writeBytes([0xA1, 0x05, 0x80, 0x03, 0x52, 0x50, 0x54])
                report.writeBERElement(.contextConstructed(0)) { results in
                    results.writeBERString(.context(10), content.rptID)
                    MMSValueCodec.writeBits(options.rawValue, count: 10, into: &results)
                    if options.contains(.sequenceNumber) { results.writeBERUnsigned(.context(6), UInt64(content.sequenceNumber)) }
                    if options.contains(.reportTimeStamp) {
                        MMSValueCodec.encode(.entryTime(millisecondsSinceEpoch: content.timeOfEntry), as: .entryTime, into: &results)
                    }
                    if options.contains(.dataSetName) { results.writeBERString(.context(10), content.dataSetReference) }
                    if options.contains(.bufferOverflow) { results.writeBERBoolean(.context(3), content.bufferOverflow) }
                    if options.contains(.entryID) { results.writeBERPrimitive(.context(9), bytes: content.entryID ?? [UInt8](repeating: 0, count: 8)) }
                    if options.contains(.configurationRevision) { results.writeBERUnsigned(.context(6), UInt64(content.configurationRevision)) }
                    if let segment {
                        results.writeBERUnsigned(.context(6), UInt64(segment.number))
                        results.writeBERBoolean(.context(3), segment.more)
                    }
                    writeInclusion(parts.map(\.member), count: content.memberCount, into: &results)
                    if options.contains(.dataReference) {
                        for part in parts { if let reference = part.reference { results.writeImmutableBuffer(reference) } }
                    }
                    for part in parts { results.writeImmutableBuffer(part.value) }
                    if options.contains(.reasonCode) {
                        for part in parts { MMSValueCodec.writeBits(part.reason.rawValue, count: 6, into: &results) }
                    }
                }
            }
        }
    }

    /// The inclusion bit string: one bit per data set member, set for those this PDU carries.
    private static func writeInclusion(_ members: [Int], count: Int, into buffer: inout ByteBuffer) {
        var octets = [UInt8](repeating: 0, count: max((count + 7) / 8, 1))
        for member in members { octets[member / 8] |= 0x80 >> UInt8(member % 8) }
        buffer.writeBERElement(.context(4)) { bits in
            bits.writeInteger(UInt8(octets.count * 8 - count))
            bits.writeBytes(octets)
        }
    }

    /// Encodes a member's values (its basic attributes in order) in the member's MMS shape.
    package static func encode(_ variable: MMSVariable, values: [DataValue], index: inout Int, into buffer: inout ByteBuffer) {
        switch variable.content {
        case .leaf(let type, _):
            let value = index < values.count ? values[index] : type.defaultValue
            index += 1
            MMSValueCodec.encode(value, as: type, into: &buffer)
        case .structure(let children):
            buffer.writeBERElement(.contextConstructed(2)) { structure in
                for child in children { encode(child, values: values, index: &index, into: &structure) }
            }
        case .array(let elements):
            buffer.writeBERElement(.contextConstructed(1)) { array in
                for element in elements { encode(element, values: values, index: &index, into: &array) }
            }
        }
    }
}
