import BERCodec
import Dispatch
import IEC61850Model
import IEC61850Services
import MMS
import NIOCore

/// ReadJournal (PROTOCOL.md §7): the log service's queries by time and after an entry, answered from the
/// log storage off the event loop, a PDU at a time with moreFollows.
extension MMSServiceBackend {
    /// The most entries read from the storage for one response; a client pages for more.
    static let journalPageEntries = 2_000

    func readJournal(_ request: ReadJournalRequest, invokeID: UInt32, session: SessionContext, into buffer: inout ByteBuffer) {
        guard case .domainSpecific(let domain, let item) = request.journal, let storage = logStorage,
            reporting.logLayout.logs.contains("\(domain)/\(item)")
        else {
            MMSResponseEncoder.writeConfirmedError(invokeID: invokeID, error: .objectNonExistent, into: &buffer)
            return
        }
        let now = currentMilliseconds()
        var query = LogQuery()
        var wanted = Int.max
        switch request.rangeStart {
        case .time(let time): query.from = Timestamp(millisecondsSinceEpoch: time.millisecondsSinceEpoch(now: now))
        case .entry(let octets):
            guard let id = LogControlBlock.entryID(octets: octets) else { return invalidArgument(invokeID, into: &buffer) }
            if id > 0 { query.afterEntry = id - 1 }
        case nil: break
        }
        switch request.rangeStop {
        case .time(let time): query.to = Timestamp(millisecondsSinceEpoch: time.millisecondsSinceEpoch(now: now))
        case .numberOfEntries(let count):
            guard count >= 0 else { return invalidArgument(invokeID, into: &buffer) }
            wanted = Int(count)
        case nil: break
        }
        if let after = request.startAfter {
            guard let id = LogControlBlock.entryID(octets: after.entry) else { return invalidArgument(invokeID, into: &buffer) }
            query.afterEntry = max(query.afterEntry ?? 0, id)
        }
        // The storage may block (a disk read): answer from the journal queue, never from the event loop.
        let log = "\(domain)/\(item)"
        let limit = session.maximumPDUSize
        let answer = session.answerLater
        let logger = logger
        journals.submit(association: session.connection.id) { [query, wanted] in
            var response = ByteBuffer()
            do {
                // Work bounded by the negotiated PDU size: no entry encodes in fewer than 32 octets.
                let page = min(wanted, Self.journalPageEntries, limit / 32 + 1)
                let entries = try storage.entries(log: log, matching: query, limit: page)
                MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &response) { body in
                    JournalEncoder.writeResponse(entries, more: entries.count == page && wanted > page, maximumPDUSize: limit, into: &body)
                }
            } catch {
                logger.error("a journal query failed", metadata: ["log": "\(log)", "error": "\(error)"])
                response.clear()
                MMSResponseEncoder.writeConfirmedError(invokeID: invokeID, error: ServiceError(.resource, 0), into: &response)
            }
            answer(response)
        }
    }

    private func invalidArgument(_ invokeID: UInt32, into buffer: inout ByteBuffer) {
        MMSResponseEncoder.writeReject(invokeID: invokeID, reason: .confirmedRequest(.invalidArgument), into: &buffer)
    }
}

/// Encodes ReadJournal responses (PROTOCOL.md §7).
enum JournalEncoder {
    /// Whether `data` is exactly one well-formed BER element.
    static func isOneElement(_ data: [UInt8]) -> Bool {
        var reader = BERReader(ByteBuffer(bytes: data))
        return (try? reader.readElement()) != nil && reader.isAtEnd
    }

    /// The ReadJournal-Response (`BF 41`) with as many of `entries` as fit in `maximumPDUSize`, and
    /// moreFollows when some did not fit or `more` says the storage holds more.
    static func writeResponse(_ entries: [LogEntry], more: Bool, maximumPDUSize: Int, into buffer: inout ByteBuffer) {
        // Room for the PDU's own headers (invoke id, the two constructed tags with long lengths, moreFollows).
        let budget = maximumPDUSize - 32
        var encoded = ByteBuffer()
        var moreFollows = more
        for entry in entries {
            let mark = encoded.writerIndex
            write(entry, into: &encoded)
            if encoded.readableBytes > budget {
                encoded.moveWriterIndex(to: mark)
                moreFollows = true
                break
            }
        }
        buffer.writeBERElement(BERTag.contextConstructed(65)) { response in
            response.writeBERElement(.contextConstructed(0)) { $0.writeImmutableBuffer(encoded) }
            if moreFollows { response.writeBERBoolean(.context(1), true) }
        }
    }

    /// One JournalEntry: identifier, an empty originating application, the time and the variables, each
    /// data set member followed by its ReasonCode.
    static func write(_ entry: LogEntry, into buffer: inout ByteBuffer) {
        buffer.writeBERElement(.sequence) { journal in
            journal.writeBERPrimitive(.context(0), bytes: LogControlBlock.entryIDOctets(entry.entryID))
            journal.writeBytes([0xA1, 0x02, 0x30, 0x00])
            journal.writeBERElement(.contextConstructed(2)) { content in
                ReadJournalRequest.writeTimeOfDay(.context(0), millisecondsSinceEpoch: entry.time.millisecondsSinceEpoch, into: &content)
                content.writeBERElement(.contextConstructed(2)) { data in
                    data.writeBERElement(.contextConstructed(1)) { variables in
                        // A storage someone else wrote may hold anything: only well-formed MMS Data goes out.
                        for value in entry.values where isOneElement(value.data) {
                            variables.writeBERElement(.sequence) { variable in
                                variable.writeBERString(.context(0), value.reference)
                                variable.writeBERElement(.contextConstructed(1)) { $0.writeBytes(value.data) }
                            }
                            variables.writeBERElement(.sequence) { variable in
                                variable.writeBERString(.context(0), "ReasonCode")
                                variable.writeBERElement(.contextConstructed(1)) { MMSValueCodec.writeBits(UInt32(value.reasonCode), count: 7, into: &$0) }
                            }
                        }
                    }
                }
            }
        }
    }
}

extension MMSServiceBackend {
    /// A member's values as a log entry keeps them: the MMS name and the MMS Data ReadJournal returns.
    @Sendable static func logValue(_ member: DataSetEntry.Member, _ included: IncludedMember) -> LogEntry.Value {
        var buffer = ByteBuffer()
        var position = 0
        InformationReportEncoder.encode(member.variable, values: included.values, index: &position, into: &buffer)
        return LogEntry.Value(
            reference: member.specification.name.text, data: Array(buffer.readableBytesView), reasonCode: UInt8(truncatingIfNeeded: included.reason.rawValue))
    }
}
