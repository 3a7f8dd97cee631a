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

    /// Writes the report as one PDU straight into `buffer`: the common case, without a buffer per member.
    /// Returns the PDU's size; when that is more than the association's PDU size and the report has
    /// several members, the caller drops what was written and sends ``encode(_:maximumPDUSize:allocator:)``'s
    /// segments instead.
    package static func write(_ report: OutgoingReport, into buffer: inout ByteBuffer) -> Int {
        let content = unsegmented(report.content)
        let start = buffer.writerIndex
        let dataSet = report.dataSet
        writePDU(content, members: content.members.lazy.map(\.member), segment: nil, into: &buffer) { section, results in
            for included in content.members {
                let member = dataSet.members[included.member]
                switch section {
                case .references: results.writeBERString(.context(10), member.specification.name.text)
                case .values:
                    var index = 0
                    encode(member.variable, values: included.values, index: &index, into: &results)
                case .reasons: MMSValueCodec.writeBits(included.reason.rawValue, count: 6, into: &results)
                }
            }
        }
        return buffer.writerIndex - start
    }

    /// The report's PDUs (each a complete MMS unconfirmed PDU).
    package static func encode(_ report: OutgoingReport, maximumPDUSize: Int, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> [ByteBuffer] {
        var content = unsegmented(report.content)
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

    /// The content with the options of one unsegmented PDU: a URCB sends neither BufOvfl nor EntryID.
    private static func unsegmented(_ content: ReportContent) -> ReportContent {
        var content = content
        if content.entryID == nil {
            content.options.remove(.bufferOverflow)
            content.options.remove(.entryID)
        }
        content.options.remove(.segmentation)
        return content
    }

    /// The parts of the members' list a PDU carries, in the order they follow the inclusion bit string.
    private enum Section {
        case references, values, reasons
    }

    /// A PDU of members encoded beforehand.
    private static func writePDU(_ content: ReportContent, _ parts: ArraySlice<Part>, segment: (number: Int, more: Bool)?, into buffer: inout ByteBuffer) {
        writePDU(content, members: parts.lazy.map(\.member), segment: segment, into: &buffer) { section, results in
            for part in parts {
                switch section {
                case .references: if let reference = part.reference { results.writeImmutableBuffer(reference) }
                case .values: results.writeImmutableBuffer(part.value)
                case .reasons: MMSValueCodec.writeBits(part.reason.rawValue, count: 6, into: &results)
                }
            }
        }
    }

    /// `A3 { A0 { A1 { 80 "RPT" } A0 { … } } }`; `members` writes each section of the carried members.
    private static func writePDU(
        _ content: ReportContent, members: some Sequence<Int>, segment: (number: Int, more: Bool)?, into buffer: inout ByteBuffer,
        _ write: (Section, inout ByteBuffer) -> Void
    ) {
        let options = content.options
        buffer.writeBERElement(.contextConstructed(3)) { unconfirmed in
            unconfirmed.writeBERElement(.contextConstructed(0)) { report in
                report.writeMultipleIntegers(UInt32(0xA105_8003), UInt16(0x5250), UInt8(0x54))  // A1 05 80 03 "RPT"
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
                    writeInclusion(members, count: content.memberCount, into: &results)
                    if options.contains(.dataReference) { write(.references, &results) }
                    write(.values, &results)
                    if options.contains(.reasonCode) { write(.reasons, &results) }
                }
            }
        }
    }

    /// The inclusion bit string: one bit per data set member, set for those this PDU carries.
    private static func writeInclusion(_ members: some Sequence<Int>, count: Int, into buffer: inout ByteBuffer) {
        let octets = max((count + 7) / 8, 1)
        buffer.writeBERTag(.context(4))
        buffer.writeBERLength(octets + 1)
        buffer.writeInteger(UInt8(octets * 8 - count))
        let offset = buffer.writerIndex - buffer.readerIndex
        buffer.writeRepeatingByte(0, count: octets)
        buffer.withUnsafeMutableReadableBytes { bytes in
            for member in members { bytes[offset + member / 8] |= 0x80 >> UInt8(member % 8) }
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
